"""Record what real ArduCopter SITL says in a scripted conversation, as test reference data.

Usage (from the repository root)::

    python tests/simulator/record_reference.py --sitl /path/to/arducopter dronekit-flow
    python tests/simulator/record_reference.py --tlog RECORDING.tlog --param FRAME_TYPE=0 NAME
    python tests/simulator/record_reference.py --sim dronekit-flow      # compare only

``--sitl`` runs the conversation (see conversations.py) against real SITL,
started as ``dronepatrol sitl`` starts it, through a recording proxy and
writes the summary to ``tests/data/ardupilot-4.7/<name>.sitl.conversation.json``,
which CI replays on the simulator (test_differential.py). ``--tlog``
summarises an existing recording of the same conversation instead (into
``<name>.conversation.json``); ``--param NAME=VALUE`` notes
parameters that recording's vehicle had beyond the simulator's defaults
(the replay sets them). ``--sim`` runs the conversation on the simulator and
prints how it differs from the stored reference (exit 1 if it does).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.conversations import CONVERSATIONS, DATA, run, start_sim, start_sitl
from simulator.differential import compare, read_tlog, summarize


def reference_path(name: str, real_sitl: bool = True) -> Path:
    """Where a conversation's reference lives: one recorded here from real SITL, or one
    summarised from a shared recording (``.tlog``)."""
    return DATA / (f"{name}.sitl.conversation.json" if real_sitl else f"{name}.conversation.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(CONVERSATIONS))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sitl", metavar="BINARY", help="arducopter binary to record")
    source.add_argument("--tlog", metavar="FILE", help="an existing recording to summarise")
    source.add_argument("--sim", action="store_true", help="compare the simulator only")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    conv = CONVERSATIONS[args.name]
    params = {k: float(v) for k, v in (p.split("=", 1) for p in args.param)}

    if args.sim:
        path = reference_path(conv.name)
        if not path.exists():
            path = reference_path(conv.name, real_sitl=False)
        reference = json.loads(path.read_text())
        with tempfile.TemporaryDirectory() as tmp:
            vehicle = start_sim(conv, reference.get("sim_params"))
            try:
                status, output, tlog = run(conv, vehicle, Path(tmp))
            finally:
                vehicle.close()
            print(output[-3000:])
            if status != 0:
                print(f"the client failed (exit {status})")
                return 1
            problems = compare(reference["summary"], summarize(read_tlog(tlog), conv.texts_from))
        print("\n".join(problems) or "no differences")
        return 1 if problems else 0

    if args.tlog:
        tlog = Path(args.tlog)
        summary = summarize(read_tlog(tlog), conv.texts_from)
        source_note = f"recording {tlog.name}"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            vehicle = start_sitl(conv, args.sitl)
            try:
                status, output, tlog = run(conv, vehicle, Path(tmp))
            finally:
                vehicle.close()
            if status != 0:
                print(output, file=sys.stderr)
                print("the conversation failed on real SITL: nothing written", file=sys.stderr)
                return 1
            summary = summarize(read_tlog(tlog), conv.texts_from)
        source_note = f"real SITL ({Path(args.sitl).name}) through conversations.py"
    out = {
        "conversation": conv.name,
        "source": source_note,
        "sim_params": params,
        "summary": summary,
    }
    target = reference_path(conv.name, real_sitl=not args.tlog)
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
