"""Fault parameters carry SITL's own SIM_* names, so they work on both backends."""

from __future__ import annotations

import pytest
from dronepatrol.sitl import faults
from dronepatrol.sitl.params import spec


def test_fault_parameters_exist_in_the_simulator() -> None:
    for values in (faults.gps(False), faults.battery_voltage(10.2), faults.wind(8, 270, 2)):
        for name in values:
            assert spec(name) is not None, name


def test_gps_fault_sets_both_generations_of_names() -> None:
    assert faults.gps(False) == {"SIM_GPS1_ENABLE": 0.0, "SIM_GPS_DISABLE": 1.0}
    assert faults.gps(True) == {"SIM_GPS1_ENABLE": 1.0, "SIM_GPS_DISABLE": 0.0}


def test_wind_direction_wraps_and_bad_values_are_refused() -> None:
    assert faults.wind(5, 450)["SIM_WIND_DIR"] == 90.0
    with pytest.raises(ValueError, match="wind"):
        faults.wind(-1)
    with pytest.raises(ValueError, match="voltage"):
        faults.battery_voltage(-3)
