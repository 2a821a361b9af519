"""The energy watch: each vehicle's pack and consumption, and the return-home decision in flight.

One :class:`EnergyWatch` per fleet runs on a thread of its own, reading the
bus (never the radio):

* every ``telemetry`` sample of an airborne vehicle teaches its consumption
  (:class:`~dronepatrol.energy.model.ConsumptionLearner`); the figures are
  kept per vehicle in a JSON file and read back at start;
* while a vehicle flies and is not already coming home, it predicts the
  charge needed to get home (turning for home, the way home round the no-fly
  zones / RTL speed against the wind the vehicle itself estimates, the loiter
  over home and the descent) and, when the charge left reaches that plus the
  reserve, brings it home that way (the routed corners in GUIDED, then RTL:
  ArduCopter's RTL alone flies a straight line, through a zone in the way),
  acknowledged, retried, the outcome reported. This does not rely on the
  vehicle's own battery failsafe (``BATT_FS_LOW_ACT``), which may be off or
  set too late;
* planners ask it for a vehicle's figures (:meth:`EnergyWatch.pack`,
  :meth:`EnergyWatch.profile_for`) and whether a sortie fits
  (:meth:`EnergyWatch.check_sortie`), before anything is uploaded.

Events it publishes (``energy``, ``vehicle_id`` set; ``data`` keys): ``stage``
(``low``: the charge left is within ``low_margin_frac`` of the return
threshold; ``return_now``: the threshold is reached and RTL is being
commanded; ``rtl_accepted`` / ``rtl_failed``), ``text`` (one line for the
operator), ``available_mah``, ``return_mah``, ``reserve_mah``,
``distance_home_m`` (along the way home), ``routed`` (the way home goes round a
no-fly zone), ``wind_speed_mps``, ``wind_from_deg``, ``source``.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronepatrol.energy.model import (
    DEFAULT_RESERVE_FRAC,
    ConsumptionLearner,
    PackEnergy,
    available_mah,
    check_sortie,
    endurance_left_s,
    return_need_mah,
    sortie_need_mah,
)
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.geo import bearing_deg, distance_m
from dronepatrol.mission import LatLon
from dronepatrol.planning import DroneProfile
from dronepatrol.planning.airspace import Airspace, route_length_m
from dronepatrol.state import RETURNING_MODES, is_flying

log = logging.getLogger(__name__)

SOURCE = "energy watch"
"""Who the watch's commands are from, in events and the audit trail."""
RETURNING_MODE_NAMES = frozenset(m.name for m in RETURNING_MODES)
RETRY_AFTER_S = 15.0
"""A vehicle still flying on below its return mark (RTL refused, or left by someone) is
commanded home again after this long, not at every sample [s]."""
LAND_ALT_LOW_M = 10.0
"""ArduCopter's LAND_ALT_LOW default: below it the landing slows to LAND_SPEED [m]."""
MAX_SAMPLE_GAP_S = 2.0
"""The first sample after a longer gap (a link loss) teaches nothing [s]."""
ROUTE_EVERY_S = 1.0
"""How often a flying vehicle's way home round the no-fly zones is routed afresh [s of
telemetry time]; between times the last route is followed on from where it is now."""
_OPEN_SKY = Airspace(())


@dataclass
class _Flight:
    """What the watch knows of one vehicle between samples."""

    learner: ConsumptionLearner = field(default_factory=ConsumptionLearner)
    last_sample_s: float | None = None
    low_said: bool = False
    returning_commanded: bool = False
    rtl_thread: threading.Thread | None = None
    retry_after_s: float = 0.0
    last: dict[str, Any] = field(default_factory=dict)
    way_home: list[LatLon] | None = None
    way_home_at_s: float = -math.inf


class EnergyWatch:
    """Learns each vehicle's consumption and brings it home on its own figures.

    Args:
        fleet: the :class:`dronepatrol.mavlink.Fleet` (vehicles, snapshots, parameters).
        bus: the fleet's event bus.
        profile: the planner's profile: assumed consumption until a vehicle has flown.
        reserve_frac: share of capacity every return and plan keeps [0..1].
        low_margin_frac: warn when the charge left is within this share above
            the return threshold [0..1].
        store: JSON file keeping the learned figures per vehicle (None: not kept).
        rtl_attempts: how many times RTL is commanded before the failure is reported.
        airspace: the no-fly zones the way home keeps out of, or a callable giving
            the current ones (the control app's network may change); None: open sky.
    """

    def __init__(
        self,
        fleet: Any,
        bus: EventBus,
        profile: DroneProfile,
        *,
        reserve_frac: float = DEFAULT_RESERVE_FRAC,
        low_margin_frac: float = 0.25,
        store: Path | str | None = None,
        rtl_attempts: int = 3,
        airspace: Airspace | Callable[[], Airspace | None] | None = None,
    ) -> None:
        if not 0.0 <= reserve_frac < 1.0:
            raise ValueError(f"reserve_frac must be in [0, 1), got {reserve_frac!r}")
        self.fleet = fleet
        self.bus = bus
        self.profile = profile
        self.reserve_frac = reserve_frac
        self.low_margin_frac = low_margin_frac
        self.store = Path(store) if store else None
        self.rtl_attempts = rtl_attempts
        self._airspace = airspace
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        kinds = {EventKind.TELEMETRY, EventKind.DISARMED}
        self._worker = BusWorker(
            bus,
            "energy-watch",
            self.observe,
            accept=lambda e: e.kind in kinds and e.vehicle_id is not None,
        )
        self._load()

    # ------------------------------------------------------------------ running

    def start(self) -> EnergyWatch:
        """Follow each vehicle's telemetry and landings on a thread of its own."""
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop(5.0)
        self._save()

    def airspace(self) -> Airspace:
        """The no-fly zones the way home keeps out of (none when not given)."""
        found = self._airspace
        if found is not None and not isinstance(found, Airspace):
            found = found()
        return found if found is not None else _OPEN_SKY

    # ------------------------------------------------------------------ figures

    def capacity_mah(self, vehicle_id: str) -> float | None:
        """The vehicle's BATT_CAPACITY [mAh], None when unread or 0."""
        try:
            params = self.fleet.vehicle(vehicle_id).params.heard()
        except Exception:
            return None
        capacity = params.get("BATT_CAPACITY")
        return float(capacity) if capacity and capacity > 0 else None

    def pack(self, vehicle_id: str) -> PackEnergy:
        """The vehicle's pack and consumption: learned where flown enough, else the profile's."""
        with self._lock:
            learner = self._flight(vehicle_id).learner
            return learner.pack(vehicle_id, self.capacity_mah(vehicle_id), self.profile)

    def profile_for(self, vehicle_id: str) -> DroneProfile:
        """The planner's profile with this vehicle's endurance and the reserve kept."""
        return self.pack(vehicle_id).profile(self.profile, self.reserve_frac)

    def cruise_endurance_s(self, vehicle_id: str) -> float | None:
        """Flight time at cruise on a full pack of this vehicle [s], None when unknown."""
        pack = self.pack(vehicle_id)
        if not pack.capacity_mah or pack.cruise_mah_per_min <= 0:
            return None
        return pack.capacity_mah / pack.cruise_mah_per_min * 60.0

    def endurance_left_s(self, vehicle_id: str) -> float | None:
        """Cruise flight left before the reserve on the vehicle's charge now [s], None unknown."""
        try:
            battery = self.fleet.vehicle(vehicle_id).snapshot.battery
        except Exception:  # not (or no longer) in the fleet
            return None
        return endurance_left_s(
            self.pack(vehicle_id), battery.consumed_mah, battery.remaining_pct, self.reserve_frac
        )

    def check_sortie(
        self, vehicle_id: str, energy_frac: float, planned_with: DroneProfile
    ) -> dict[str, float]:
        """Refuse (EnergyRefusal) a sortie the vehicle's charge cannot fly with the reserve kept.

        ``energy_frac`` is the planner's share of a battery under ``planned_with``.
        Returns the figures for the record: need, need with reserve, available [mAh].
        """
        vehicle = self.fleet.vehicle(vehicle_id)
        snap = vehicle.snapshot
        pack = self.pack(vehicle_id)
        need = sortie_need_mah(energy_frac, planned_with, pack) if pack.capacity_mah else 0.0
        available = available_mah(
            pack.capacity_mah, snap.battery.consumed_mah, snap.battery.remaining_pct
        )
        name = snap.name or vehicle_id
        with_reserve = check_sortie(name, need, available, pack.capacity_mah, self.reserve_frac)
        return {
            "need_mah": round(need),
            "need_with_reserve_mah": round(with_reserve),
            "available_mah": round(available or 0.0),
        }

    # ------------------------------------------------------------------ in flight

    def observe(self, event: Event) -> None:
        """Take one event (the thread calls this; tests may too)."""
        vid = event.vehicle_id
        if vid is None:
            return
        if event.kind is EventKind.DISARMED:
            with self._lock:
                flight = self._flight(vid)
                flight.low_said = flight.returning_commanded = False
                flight.last_sample_s = None
            self._save()
            return
        if event.kind is not EventKind.TELEMETRY:
            return
        data = event.data
        with self._lock:
            flight = self._flight(vid)
            gap = None if flight.last_sample_s is None else event.time_s - flight.last_sample_s
            flight.last_sample_s = event.time_s
            airborne = is_flying(
                bool(data.get("armed")), str(data.get("landed_state")), data.get("alt_rel_m")
            )
            current = data.get("current_a")
            if airborne and gap is not None and 0 < gap <= MAX_SAMPLE_GAP_S and current is not None:
                flight.learner.observe(
                    float(current),
                    float(data.get("groundspeed_mps") or 0.0),
                    float(data.get("climb_mps") or 0.0),
                )
        if airborne:
            self._guard(vid, data, flight, event.time_s)

    def _guard(self, vid: str, data: Any, flight: _Flight, now_s: float) -> None:
        if data.get("mode") in RETURNING_MODE_NAMES:
            return  # coming home or down already (the vehicle's own failsafe, an operator, us)
        try:
            vehicle = self.fleet.vehicle(vid)
        except Exception:
            return
        snap = vehicle.snapshot
        home = snap.home
        pack = self.pack(vid)
        available = available_mah(
            pack.capacity_mah, data.get("consumed_mah"), data.get("battery_pct")
        )
        if home is None or available is None or not pack.capacity_mah:
            return
        lat, lon = data.get("lat_deg"), data.get("lon_deg")
        if lat is None or lon is None:
            return
        way = self._way_home(flight, (lat, lon), (home.lat_deg, home.lon_deg), now_s)
        away = route_length_m(way)
        routed = len(way) > 2
        wind_speed = float(data.get("wind_speed_mps") or 0.0)
        wind_from = float(data.get("wind_from_deg") or 0.0)
        alt = float(data.get("alt_rel_m") or 0.0)
        speed = self._return_speed_mps(vehicle)
        turn_s, loiter_s = self._rtl_pauses_s(vehicle)
        # each leg against the wind on its own track; a stop and turn at each corner
        need = sum(
            return_need_mah(
                distance_m(*a, *b),
                0.0,
                pack,
                speed,
                bearing_deg(*a, *b) if distance_m(*a, *b) > 1.0 else 0.0,
                wind_speed,
                wind_from,
            )
            for a, b in itertools.pairwise(way)
        ) + return_need_mah(
            0.0,
            alt,
            pack,
            speed,
            descent_rate_mps=self._descent_rate_mps(vehicle, alt),
            turn_s=turn_s * (len(way) - 1),
            loiter_s=loiter_s,
        )
        reserve = self.reserve_frac * pack.capacity_mah
        threshold = need + reserve
        figures = {
            "available_mah": round(available),
            "return_mah": round(need),
            "reserve_mah": round(reserve),
            "distance_home_m": round(away),
            "routed": routed,
            "wind_speed_mps": round(wind_speed, 1),
            "wind_from_deg": round(wind_from),
            "source": SOURCE,
        }
        name = snap.name or vid
        out = f"{away:,.0f} m from home round the no-fly zones" if routed else f"{away:,.0f} m out"
        if available <= threshold:
            with self._lock:
                busy = flight.rtl_thread is not None and flight.rtl_thread.is_alive()
                if busy or time.monotonic() < flight.retry_after_s:
                    return  # commanding now, or out of RTL again since: ask anew in a while
                flight.returning_commanded = True
                flight.retry_after_s = time.monotonic() + RETRY_AFTER_S
                flight.rtl_thread = threading.Thread(
                    target=self._return_home,
                    args=(vid, name),
                    name=f"energy-rtl-{vid}",
                    daemon=True,
                )
            self.bus.emit(
                EventKind.ENERGY,
                vid,
                stage="return_now",
                text=(
                    f"{name}: return now: {available:,.0f} mAh left, getting home needs "
                    f"{need:,.0f} mAh + {reserve:,.0f} mAh reserve ({out})"
                ),
                **figures,
            )
            flight.rtl_thread.start()
        elif available <= threshold * (1.0 + self.low_margin_frac) and not flight.low_said:
            flight.low_said = True
            self.bus.emit(
                EventKind.ENERGY,
                vid,
                stage="low",
                text=(
                    f"{name}: battery low: {available:,.0f} mAh left; it returns at "
                    f"{threshold:,.0f} mAh ({out})"
                ),
                **figures,
            )

    def _way_home(self, flight: _Flight, here: LatLon, home: LatLon, now_s: float) -> list[LatLon]:
        """The way home from ``here`` round the no-fly zones, ``here`` first, ``home`` last.

        Routed afresh every :data:`ROUTE_EVERY_S`; in between, the last route
        followed on from ``here``. With no route round the zones (walled in, or
        no zones), the straight line: what the autopilot's own RTL flies.
        """
        airspace = self.airspace()
        if not airspace.zones:
            return [here, home]
        stale = flight.way_home is None or flight.way_home[-1] != home
        if stale or not 0.0 <= now_s - flight.way_home_at_s < ROUTE_EVERY_S:
            flight.way_home = airspace.route_home(here, home) or [here, home]
            flight.way_home_at_s = now_s
        return [here, *flight.way_home[1:]]

    def _return_home(self, vid: str, name: str) -> None:
        """Bring the vehicle home round the no-fly zones (then RTL), up to ``rtl_attempts``
        times until it shows a returning mode; report the outcome."""
        last_error = ""
        for attempt in range(1, self.rtl_attempts + 1):
            try:
                vehicle = self.fleet.vehicle(vid)
                snap = vehicle.snapshot
                if snap.mode in RETURNING_MODE_NAMES:
                    break
                route = None
                if snap.position is not None and snap.home is not None:
                    route = self.airspace().route_home(
                        (snap.position.lat_deg, snap.position.lon_deg),
                        (snap.home.lat_deg, snap.home.lon_deg),
                    )
                if route is not None and len(route) > 2:
                    vehicle.action.return_home(route, source=SOURCE)
                else:  # nothing in the way (or no way round): the autopilot's straight RTL
                    vehicle.action.rtl(source=SOURCE)
                break
            except Exception as exc:  # refused, timed out, link down: try again, then say so
                last_error = str(exc)
                log.warning("%s: RTL attempt %d failed: %s", vid, attempt, exc)
        else:
            self.bus.emit(
                EventKind.ENERGY,
                vid,
                stage="rtl_failed",
                text=f"{name}: RTL for low battery failed {self.rtl_attempts} times: {last_error}",
                source=SOURCE,
            )
            return
        self.bus.emit(
            EventKind.ENERGY,
            vid,
            stage="rtl_accepted",
            text=f"{name}: returning home on its battery figures (RTL)",
            source=SOURCE,
        )

    def _return_speed_mps(self, vehicle: Any) -> float:
        """RTL's horizontal speed: RTL_SPEED, else WPNAV_SPEED (both cm/s), else the profile's."""
        params = vehicle.params.heard()
        for name in ("RTL_SPEED", "WPNAV_SPEED"):
            value = params.get(name)
            if value and value > 0:
                return float(value) / 100.0
        return self.profile.cruise_speed_mps

    def _rtl_pauses_s(self, vehicle: Any) -> tuple[float, float]:
        """(turn, loiter) [s] of RTL: braking and speeding up again for home at WPNAV_ACCEL
        (cm/s/s, default 250), and RTL_LOIT_TIME (ms, default 5000) over home."""
        params = vehicle.params.heard()
        speed = self._return_speed_mps(vehicle)
        accel = (params.get("WPNAV_ACCEL") or 250.0) / 100.0
        loiter = params.get("RTL_LOIT_TIME")
        return 2.0 * speed / max(accel, 0.5), (5000.0 if loiter is None else loiter) / 1000.0

    def _descent_rate_mps(self, vehicle: Any, alt_rel_m: float) -> float:
        """Mean descent rate of RTL's landing from ``alt_rel_m`` [m/s].

        ArduCopter descends at WPNAV_SPEED_DN down to LAND_ALT_LOW (10 m), then at
        LAND_SPEED (both cm/s); unread parameters fall back to the profile's rate.
        """
        params = vehicle.params.heard()
        fast = (params.get("WPNAV_SPEED_DN") or 0.0) / 100.0 or self.profile.descent_rate_mps
        slow = (params.get("LAND_SPEED") or 0.0) / 100.0 or 0.5
        low = min(max(alt_rel_m, 0.0), LAND_ALT_LOW_M)
        seconds = (max(alt_rel_m, 0.0) - low) / fast + low / slow
        return alt_rel_m / seconds if seconds > 0 else fast

    # ------------------------------------------------------------------ keeping

    def _flight(self, vehicle_id: str) -> _Flight:
        flight = self._flights.get(vehicle_id)
        if flight is None:
            flight = self._flights[vehicle_id] = _Flight()
        return flight

    def learned(self) -> dict[str, dict[str, float | None]]:
        """Every vehicle's learned figures, as kept in the store."""
        with self._lock:
            return {vid: f.learner.as_dict() for vid, f in sorted(self._flights.items())}

    def _load(self) -> None:
        if self.store is None or not self.store.exists():
            return
        try:
            kept = json.loads(self.store.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("energy figures in %s unreadable (%s); learning afresh", self.store, exc)
            return
        if not isinstance(kept, dict):
            return
        for vid, figures in kept.items():
            if isinstance(figures, dict):
                self._flight(str(vid)).learner = ConsumptionLearner.from_dict(figures)

    def _save(self) -> None:
        """Write the learned figures whole (a temporary file renamed over the old one)."""
        if self.store is None:
            return
        figures = self.learned()
        tmp = self.store.with_suffix(".tmp")
        try:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(figures, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.store)
        except OSError as exc:
            log.warning("could not keep energy figures in %s: %s", self.store, exc)
