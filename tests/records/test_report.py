"""The HTML report stands alone: map, plots, coverage, audit and timeline, no network."""

from __future__ import annotations

import lxml.html
import pytest

from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.report import build_report, command_audit
from records.test_coverage import patrol_network


@pytest.fixture
def page(recorded) -> lxml.html.HtmlElement:
    engine, sortie_id, _ = recorded
    record = SortieArchive(engine).record(sortie_id)
    html = build_report(record, patrol_network(), Camera(hfov_deg=70.0, vfov_deg=55.0))
    return lxml.html.document_fromstring(html)


def _section(page, title: str) -> str:
    [heading] = [h for h in page.iter("h2") if h.text_content() == title]
    parts = []
    for sibling in heading.itersiblings():
        if sibling.tag == "h2":
            break
        parts.append(sibling.text_content())
    return " ".join(parts)


def test_report_needs_no_network(page) -> None:
    for element in page.iter():
        for attribute in ("src", "href"):
            value = element.get(attribute) or ""
            assert "://" not in value, f"<{element.tag} {attribute}={value}> loads from outside"
    assert not page.xpath("//script[@src] | //link[@rel='stylesheet'] | //iframe | //img")


def test_report_draws_the_track_and_three_plots(page) -> None:
    [track_map] = page.xpath("//svg[@class='map']")
    track = track_map.xpath(".//polyline[@class='track']")
    assert sum(len(p.get("points").split()) for p in track) > 300  # every sample drawn
    assert track_map.xpath(".//path")  # grids and the swath
    plots = page.xpath("//svg[@class='plot']")
    assert [p.get("aria-label") for p in plots] == [
        "Altitude above home over time",
        "Ground speed over time",
        "Battery remaining over time",
    ]
    for plot in plots:
        assert len(plot.xpath(".//polyline")[0].get("points").split()) > 100


def test_report_lists_targets_commands_and_events(page) -> None:
    summary = _section(page, "Summary")
    assert "completed" in summary and "S01-1" in summary and "alice" in summary
    assert "G001, P003" in summary
    targets = _section(page, "Targets covered")
    assert "70° × 55° field of view" in targets
    assert "dwell time (20 s unless the network gives one)" in targets
    assert "90 % of its length" in targets and "95 % of its flyable area" in targets
    target_rows = {
        row[0]: row
        for row in (
            [td.text_content() for td in tr.xpath("td")]
            for tr in page.xpath("//h2[.='Targets covered']/following-sibling::table[1]//tbody/tr")
        )
    }
    # Target, Kind, Name, Priority, Planned, Patrolled, Imaged
    assert target_rows["G001"][5:] == ["unknown", "not in the patrol network"]
    assert target_rows["G-STRIP"][4:] == ["no", "yes", "100 % of flyable area imaged"]
    assert target_rows["G-EDGE"][5] == "no"
    assert target_rows["L-ROAD"][5:] == ["yes", "100 % of length imaged"]
    # a fly-by, short of the point's 20 s dwell: not patrolled
    assert target_rows["P-ON"][5] == "no" and "(dwell 20 s)" in target_rows["P-ON"][6]
    audit_rows = [
        [td.text_content() for td in row.xpath("td")]
        for row in page.xpath("//h2[.='Command audit']/following-sibling::table[1]//tbody/tr")
    ]
    assert [(r[1], r[2], r[3]) for r in audit_rows] == [
        ("ARM", "alice", "ACCEPTED"),
        ("RTL", "alice", "ACCEPTED"),
    ]
    assert audit_rows[0][5] == "0.20 s"
    events = _section(page, "Events")
    for n in (1, 2, 3, 4):
        assert f"waypoint {n} reached" in events


def test_report_escapes_what_it_is_given(engine) -> None:
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    bus.publish(Event(EventKind.ARMED, "9", {"operator": "<script>alert(1)</script>"}, 100.0))
    bus.publish(Event(EventKind.STATUSTEXT, "9", {"text": "<b>PreArm</b> & more"}, 101.0))
    bus.publish(Event(EventKind.DISARMED, "9", {}, 102.0))
    assert recorder.flush()
    recorder.stop()
    [summary] = SortieArchive(engine).list()
    html = build_report(SortieArchive(engine).record(summary.id))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;PreArm&lt;/b&gt; &amp; more" in html
    assert "No track was recorded." in html


def test_command_audit_pairs_results_with_their_commands() -> None:
    def event(kind, time_s, command, result=None, actor=None, reason=None):
        return {
            "kind": kind,
            "time_s": time_s,
            "command": command,
            "result": result,
            "actor": actor,
            "data": {"reason": reason} if reason else {},
        }

    rows = command_audit(
        [
            event("command_sent", 1.0, "ARM", actor="bob"),
            event("command_sent", 1.5, "TAKEOFF", actor="bob"),
            event("command_result", 2.0, "ARM", "DENIED", reason="PreArm: GPS"),
            event("command_result", 9.0, "LAND", "ACCEPTED"),
        ]
    )
    assert [(r["command"], r["result"], r["actor"]) for r in rows] == [
        ("ARM", "DENIED", "bob"),
        ("TAKEOFF", None, "bob"),
        ("LAND", "ACCEPTED", ""),
    ]
    assert rows[0]["latency_s"] == pytest.approx(1.0)
    assert rows[0]["reason"] == "PreArm: GPS"


def test_command_audit_counts_retries_by_command_id() -> None:
    def event(kind, time_s, command_id, result=None):
        return {"kind": kind, "time_s": time_s, "command": "COMPONENT_ARM_DISARM",
                "result": result, "actor": "carol", "data": {"command_id": command_id}}  # fmt: skip

    rows = command_audit(
        [
            event("command_sent", 1.0, 7),
            event("command_sent", 2.5, 7),  # no ack within 1.5 s: sent again
            event("command_sent", 2.6, 8),
            event("command_result", 2.7, 8, "DENIED"),
            event("command_result", 3.0, 7, "ACCEPTED"),
        ]
    )
    assert [(r["attempts"], r["result"]) for r in rows] == [(2, "ACCEPTED"), (1, "DENIED")]
    assert rows[0]["latency_s"] == pytest.approx(2.0)


def test_report_lists_media_with_their_digests(recorded, tmp_path) -> None:
    from dronepatrol.records.media import register_media

    engine, sortie_id, _ = recorded
    video = tmp_path / "front.mp4"
    video.write_bytes(b"frames" * 10)
    register_media(engine, sortie_id, video)
    html = build_report(SortieArchive(engine).record(sortie_id))
    page = lxml.html.document_fromstring(html)
    media = _section(page, "Media")
    import hashlib

    assert hashlib.sha256(b"frames" * 10).hexdigest() in media
    assert str(video.resolve()) in media and "60" in media
