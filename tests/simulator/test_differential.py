"""Differential check: the simulator says what real ArduCopter 4.7 SITL said in the same script.

Each reference in tests/data/ardupilot-4.7/*.conversation.json is the
summary (differential.py) of a scripted conversation with real SITL (those
named *.sitl.conversation.json recorded by record_reference.py, the others
summarised from the shared recordings of real ArduCopter 4.7):
message types and stream rates, COMMAND_ACK and MISSION_ACK results, the
mode sequence, read-backs and STATUSTEXT wording. Here the same script runs
against the embedded simulator over real sockets and must give the same
summary. record_reference.py re-records a reference from real SITL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.conversations import CONVERSATIONS, DATA, run, start_sim
from simulator.differential import compare, read_tlog, summarize

pytestmark = pytest.mark.timeout(400)


REFERENCES = sorted(p.name for p in DATA.glob("*.conversation.json"))


@pytest.mark.parametrize("reference_file", REFERENCES)
def test_simulator_answers_as_recorded_arducopter(reference_file: str, tmp_path: Path) -> None:
    reference = json.loads((DATA / reference_file).read_text())
    conv = CONVERSATIONS[reference["conversation"]]
    vehicle = start_sim(conv, reference["sim_params"])
    try:
        status, output, tlog = run(conv, vehicle, tmp_path)
    finally:
        vehicle.close()
    assert status == 0, output[-3000:]
    problems = compare(reference["summary"], summarize(read_tlog(tlog), conv.texts_from))
    assert not problems, "\n".join(problems)


def test_comparison_catches_a_changed_answer() -> None:
    """The check itself: a refused guided goto or a wrong read-back frame is reported."""
    reference = json.loads((DATA / "dronekit-flow.conversation.json").read_text())["summary"]
    assert compare(reference, reference) == []
    changed = json.loads(json.dumps(reference))
    changed["mission_acks"][0] = [0, 1]  # MISSION_ITEM current=2 answered ERROR
    first = next(iter(changed["readbacks"]))
    changed["readbacks"][first]["frame"] = 3
    changed["texts"].remove("Flight plan received")
    problems = compare(reference, changed)
    assert any(p.startswith("mission_acks") for p in problems)
    assert any(p.startswith(f"read-back {first} frame") for p in problems)
    assert any("Flight plan received" in p for p in problems)
