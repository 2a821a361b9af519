"""Tests of the MAVLink link, fleet and headless sortie (dronepatrol.mavlink, fly)."""
