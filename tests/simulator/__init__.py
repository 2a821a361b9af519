"""Tests of the embedded simulated ArduCopter itself (protocols, physics, fault injection)."""
