"""The day's patrol report on a worked day (SQLite and PostgreSQL).

The day (tests/support.py ``seed_report_day``), hours after midnight +08:00:

* K1 (key point of N, 30 min): last patrolled at -0:10, then 0:15, 0:45, 1:30.
  Deadlines 0:20 met (0:15), 0:45 met (exactly), 1:15 missed (1:30 came
  late), 2:00 missed: 2 of 4, overdue 1:15-1:30 and from 2:00 on.
* A1 (attention line of N, 2 h, never before): 1:00 (92 %), 2:30 (97 %).
  Deadlines 2:00 (the day's start stands in) met, 3:00 met, 4:30 missed.
* G1 (general grid of S, 8 h): 7:00, 14:00, 21:00 (best 99 %): 8:00, 15:00,
  22:00 all met, fresh all day; 24:00 belongs to the next day.
* K2 (key point of S, its own 60 min): never: 1:00 missed.
* Sorties: V1 0:05-0:50 (100 -> 40 %), 1:20-2:05 (95 -> 35 %) from N, and
  10:00-10:30 without track (plan says N); V2 6:50-7:20 (100 -> 70 %) from S,
  -0:30-0:30 (started the day before), 23:40 still open, last sample 24:10
  (90 -> 80 %).
* Incidents: 3:00 key near N (dispatched +30 s, airborne +90, on scene +300),
  5:00 attention near N (60, 120, 420), 9:00 key near S (20, 80, 200),
  12:00 general near S (dispatched +45, never on scene); one the day before.
"""

from __future__ import annotations

from datetime import date

import pytest
from support import REPORT_DAY, REPORT_DAY_START_S, REPORT_NETWORK, seed_report_day

from dronepatrol.network import parse_network
from dronepatrol.records.days import parse_zone
from dronepatrol.records.patrol_report import build_day_report, report_as_dict
from dronepatrol.records.patrol_report_text import CSV_COLUMNS, csv_rows, report_csv

H = 3600.0
DAY = date.fromisoformat(REPORT_DAY)
ZONE = parse_zone("+08:00")
AFTER = REPORT_DAY_START_S + 30 * H  # the day is over


@pytest.fixture
def network():
    network, issues = parse_network(REPORT_NETWORK)
    assert network is not None and not issues, issues
    return network


@pytest.fixture
def seeded(engine):
    seed_report_day(engine)
    return engine


def test_targets_on_time_coverage_and_overdue(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    assert report.complete and report.zone == "UTC+08:00"
    assert report.start_s == REPORT_DAY_START_S and report.end_s == REPORT_DAY_START_S + 24 * H
    rows = {t.target_id: t for t in report.targets}
    assert list(rows) == ["K1", "A1", "G1", "K2"]  # the network's order; X9 is not in it

    k1 = rows["K1"]
    assert (k1.record.met, k1.record.missed, k1.record.patrols) == (2, 2, 3)
    assert k1.on_time_rate == 0.5 and k1.record.overdue_at_end
    assert k1.record.fresh_s == pytest.approx(105 * 60)  # 0:00-1:15 and 1:30-2:00
    assert k1.coverage == 1.0 and k1.interval_min == 30

    a1 = rows["A1"]
    assert (a1.record.met, a1.record.missed) == (2, 1)
    assert a1.coverage == pytest.approx(0.97)
    assert a1.record.fresh_frac == pytest.approx(4.5 / 24)

    g1 = rows["G1"]
    assert (g1.record.met, g1.record.missed, g1.record.patrols) == (3, 0, 3)
    assert g1.on_time_rate == 1.0 and not g1.record.overdue_at_end
    assert g1.coverage == pytest.approx(0.99) and g1.record.fresh_frac == 1.0

    k2 = rows["K2"]
    assert (k2.record.met, k2.record.missed, k2.record.patrols) == (0, 1, 0)
    assert k2.interval_min == 60 and k2.coverage == 0.0 and k2.record.overdue_at_end


def test_stations_and_priority_levels_pool_their_targets(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    north, south = report.stations
    assert (north.key, north.name, south.key) == ("N", "North", "S")
    assert (north.met, north.missed, north.on_time_rate) == (4, 3, pytest.approx(4 / 7))
    assert north.overdue_targets == 2 and north.mean_coverage == pytest.approx(0.985)
    assert (south.met, south.missed, south.on_time_rate) == (3, 1, 0.75)
    assert south.overdue_targets == 1 and south.mean_coverage == pytest.approx(0.495)
    assert south.patrolled_targets == 1 and south.targets == 2

    key, attention, general = report.priorities
    assert (key.key, key.met, key.missed, key.on_time_rate) == ("key", 2, 3, 0.4)
    assert key.overdue_targets == 2 and key.mean_coverage == 0.5
    assert attention.on_time_rate == pytest.approx(2 / 3)
    assert general.on_time_rate == 1.0 and general.overdue_targets == 0

    fleet = report.fleet
    assert (fleet.met, fleet.missed, fleet.on_time_rate) == (7, 4, pytest.approx(7 / 11))
    assert (fleet.targets, fleet.overdue_targets, fleet.patrolled_targets) == (4, 3, 3)


def test_incidents_answered_and_response_percentiles(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    fleet = report.fleet.responses
    assert (fleet.created, fleet.answered) == (4, 3)  # the day before's is not counted
    # on scene after 200, 300, 420 s: median 300; p95 at rank 0.95 * 2 = 1.9: 300 + 0.9 * 120
    assert (fleet.to_scene.count, fleet.to_scene.median_s) == (3, 300.0)
    assert fleet.to_scene.p95_s == pytest.approx(408.0)
    # dispatched after 20, 30, 45, 60 s: median 37.5; p95 at rank 2.85: 45 + 0.85 * 15
    assert fleet.to_dispatch.median_s == 37.5
    assert fleet.to_dispatch.p95_s == pytest.approx(57.75)
    assert (fleet.to_airborne.median_s, fleet.to_airborne.p95_s) == (90.0, pytest.approx(117.0))

    north, south = (s.responses for s in report.stations)
    assert (north.created, north.answered, north.to_scene.median_s) == (2, 2, 360.0)
    assert north.to_scene.p95_s == pytest.approx(414.0)
    # one sample is its own median and p95
    assert (south.created, south.answered) == (2, 1)
    assert (south.to_scene.median_s, south.to_scene.p95_s) == (200.0, 200.0)

    key, attention, general = (p.responses for p in report.priorities)
    assert (key.to_scene.median_s, key.to_scene.p95_s) == (250.0, pytest.approx(295.0))
    assert (attention.created, attention.to_scene.median_s) == (1, 420.0)
    assert general.answered == 0 and general.to_scene.median_s is None


def test_flight_hours_and_battery_cycles(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    v1, v2 = report.vehicles
    assert (v1.vehicle_id, v1.name, v1.sorties) == ("V1", "N-1", 3)
    assert v1.flight_s == pytest.approx(2 * H)  # 45 + 45 + 30 min
    assert v1.battery_used_pct == pytest.approx(120.0) and v1.battery_cycles == pytest.approx(1.2)
    assert v1.sorties_without_battery == 1
    # 30 min, the 30 min after midnight of the sortie begun the day before, 20 min of the open one
    assert v2.sorties == 2 and v2.flight_s == pytest.approx(80 * 60)
    assert v2.battery_cycles == pytest.approx(0.4)  # 30 % + 10 %; yesterday's not counted

    north, south = report.stations
    assert (north.sorties, north.flight_s) == (3, pytest.approx(2 * H))
    assert (south.sorties, south.flight_s) == (2, pytest.approx(80 * 60))
    assert report.fleet.flight_s == pytest.approx(200 * 60) and report.fleet.sorties == 5


def test_a_day_in_progress_is_measured_up_to_now(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=REPORT_DAY_START_S + 100 * 60)
    assert not report.complete and report.as_of_s == REPORT_DAY_START_S + 100 * 60
    k1 = next(t for t in report.targets if t.target_id == "K1")
    # 0:20 and 0:45 met, 1:15 missed; 2:00 has not come; 10 min since 1:30 is not overdue
    assert (k1.record.met, k1.record.missed, k1.record.overdue_at_end) == (2, 1, False)
    assert report.fleet.responses.created == 0
    with pytest.raises(ValueError, match="not begun"):
        build_day_report(seeded, network, DAY, ZONE, now_s=REPORT_DAY_START_S - 1)


def test_another_zone_is_another_day(seeded, network) -> None:
    # The day in UTC runs from 8:00 +08:00 to 8:00 the next day
    report = build_day_report(seeded, network, DAY, parse_zone("UTC"), now_s=AFTER)
    assert report.start_s == REPORT_DAY_START_S + 8 * H
    g1 = next(t for t in report.targets if t.target_id == "G1")
    assert g1.record.patrols == 3  # 14:00, 21:00 and the next day's 0:00 (+08:00)


def test_an_empty_database_reports_every_target_due(engine, network) -> None:
    report = build_day_report(engine, network, DAY, ZONE, now_s=AFTER)
    assert report.fleet.on_time_rate == 0.0 and report.fleet.overdue_targets == 4
    assert report.vehicles == [] and report.fleet.responses.to_scene.median_s is None
    assert report_as_dict(report)["fleet"]["flight_hours"] == 0.0


def test_csv_is_one_table_with_a_level_column(seeded, network) -> None:
    report = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    rows = list(csv_rows(report))
    assert [r["level"] for r in rows] == [
        "fleet", "priority", "priority", "priority", "station", "station",
        "vehicle", "vehicle", "target", "target", "target", "target",
    ]  # fmt: skip
    assert all(set(r) <= set(CSV_COLUMNS) for r in rows)
    text = report_csv(report)
    header, fleet_line = text.splitlines()[:2]
    assert header.split(",") == list(CSV_COLUMNS)
    fleet = dict(zip(CSV_COLUMNS, fleet_line.split(","), strict=True))
    assert fleet["on_time_rate"] == "0.6364" and fleet["response_p95_s"] == "408"
    assert fleet["flight_hours"] == "3.3333" and fleet["day"] == REPORT_DAY


def test_first_day_a_target_patrolled_once_is_on_time(engine, network) -> None:
    """A fresh installation: the first drone flies at 13:00; nothing was late before it.

    G1 (general, 8 h) patrolled once at 13:20: its first deadline is 21:00
    (service start + 8 h), already met, so on time 100 %, none missed -- not
    "0 %, 1 missed" at 08:00, before any drone flew. K2 (key, 60 min), never
    patrolled, misses 14:00 (measured at 15:30). K1 (30 min) patrolled at 13:20
    meets 13:30, misses 13:50; the 15:50 deadline of nothing is still ahead.
    """
    from sqlalchemy.orm import Session

    from dronepatrol.database import Sortie, TargetVisit, VehicleRecord

    def at(hours: float) -> float:
        return REPORT_DAY_START_S + hours * H

    with Session(engine) as session:
        session.add(VehicleRecord(id="V1", name="N-1", first_seen_s=at(12), last_seen_s=at(14)))
        session.flush()
        row = Sortie(vehicle_id="V1", started_s=at(13.0), ended_s=at(13.5), outcome="completed")
        session.add(row)
        session.flush()
        for target in ("G1", "K1"):
            session.add(
                TargetVisit(
                    target_id=target, sortie_id=row.id, patrolled_s=at(13 + 1 / 3), imaged=1.0
                )
            )
        session.commit()
    report = build_day_report(engine, network, DAY, ZONE, now_s=at(15.5))
    lines = {t.target_id: t.record for t in report.targets}
    assert (lines["G1"].met, lines["G1"].missed, lines["G1"].rate) == (1, 0, 1.0)
    assert not lines["G1"].overdue_at_end
    assert (lines["K2"].met, lines["K2"].missed) == (0, 1)
    assert (lines["K1"].met, lines["K1"].missed) == (1, 1)


def test_lockdown_holds_are_not_counted_as_incidents(seeded, network) -> None:
    from sqlalchemy.orm import Session

    from dronepatrol.database import Incident

    before = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    with Session(seeded) as session:
        session.add(
            Incident(
                created_s=REPORT_DAY_START_S + 4 * H,
                lat_deg=-35.362,
                lon_deg=149.167,
                priority="key",
                note="lockdown gates: G1",
                creator="commander",
                status="released",
                kind="hold",
            )
        )
        session.commit()
    after = build_day_report(seeded, network, DAY, ZONE, now_s=AFTER)
    assert after.fleet.responses.created == before.fleet.responses.created
