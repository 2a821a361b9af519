"""Flight tests: one plain-pymavlink ground station against the simulator and real SITL."""
