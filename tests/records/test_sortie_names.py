"""What people call a recorded sortie: its drone's name and its number among that drone's
sorties, never an id a drone could also bear (the demo's drone S01-1 and the planner's
sortie S01-1 were told apart by nothing)."""

from __future__ import annotations

from support import REPORT_DAY_START_S, seed_report_day

from dronepatrol.database import make_engine, upgrade
from dronepatrol.records.archive import SortieArchive
from dronepatrol.settings import Settings


def test_each_drones_sorties_are_numbered_by_take_off_whatever_the_listing(tmp_path) -> None:
    engine = upgrade(make_engine(Settings(data_dir=tmp_path).effective_database_url))
    seed_report_day(engine)  # N-1 and S-1 fly three sorties each (one of S-1 the day before)
    archive = SortieArchive(engine)
    every = archive.list()
    by_drone: dict[str, list] = {}
    for s in sorted(every, key=lambda s: (s.started_s, s.id)):
        by_drone.setdefault(s.vehicle_name, []).append(s)
    assert {name: len(runs) for name, runs in by_drone.items()} == {"N-1": 3, "S-1": 3}
    for name, runs in by_drone.items():
        assert [s.number for s in runs] == list(range(1, len(runs) + 1))
        assert [s.label for s in runs] == [f"sortie {k} of {name}" for k in range(1, len(runs) + 1)]
    labels = [s.label for s in every]
    assert len(set(labels)) == len(labels)
    assert not {s.label for s in every} & {s.vehicle_name for s in every}

    # a filtered or shortened listing keeps each sortie's own number
    numbers = {s.id: s.number for s in every}
    for listed in (
        archive.list(vehicle="S-1"),
        archive.list(since_s=REPORT_DAY_START_S + 3 * 3600.0),
        archive.list(limit=2),
    ):
        assert listed and all(s.number == numbers[s.id] for s in listed)
    assert archive.summary(every[0].id).label == every[0].label
    assert every[0].as_dict()["label"] == every[0].label
