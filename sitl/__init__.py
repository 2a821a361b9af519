"""Simulated ArduCopters and the ArduPilot SITL launcher (installed as ``dronepatrol.sitl``)."""
