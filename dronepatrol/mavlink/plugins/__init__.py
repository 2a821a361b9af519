"""A vehicle's capabilities, one plugin each, composed by :class:`.vehicle.Vehicle`.

As in MAVSDK: ``vehicle.telemetry`` (the snapshot and waiting on it),
``vehicle.commands`` (the acknowledged MAV_CMD protocol), ``vehicle.params``,
``vehicle.mission`` (mission, fence and rally lists) and ``vehicle.action``
(flight operations). Each takes what it needs in its constructor (the
vehicle's :class:`~dronepatrol.mavlink.channel.VehicleChannel`, the plugins it
builds on); none holds the vehicle or the link, so they import one way:
action on commands, params and telemetry; mission and commands on telemetry.
"""
