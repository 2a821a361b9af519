"""What a map needs to be read in the field, in Chromium on the crowded generated city:
labels that come with zoom and never overlap, layers that switch, a scale bar, a
complete legend, a first view on the network before the network has even arrived."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser_page, expose_modules, sign_in

pytestmark = pytest.mark.browser


# Every visible label's box on screen, and how many of them overlap.
VISIBLE_LABELS = """() => {
  const boxes = [...document.querySelectorAll(".map-label")]
    .filter((el) => !el.hidden && el.offsetParent !== null && !el.closest("[hidden]"))
    .map((el) => { const r = el.getBoundingClientRect();
                   return { id: el.dataset.label, cls: el.className,
                            x: r.left, y: r.top, w: r.width, h: r.height }; });
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++;
    }
  }
  const controls = [...document.querySelectorAll("#map .leaflet-control")]
    .map((el) => el.getBoundingClientRect()).filter((r) => r.width && r.height);
  const underControls = boxes.filter((a) => controls.some((r) =>
    a.x < r.right && r.left < a.x + a.w && a.y < r.bottom && r.top < a.y + a.h)).length;
  return { boxes, overlaps, underControls };
}"""

NETWORK_DRAWN = """(n) => { const map = dp.map(); if (!map) return false;
  let drawn = 0; map.eachLayer((l) => { if (l.feature) drawn += 1; }); return drawn >= n; }"""


@pytest.fixture
def city_page(browser, city_server, city, admin_password: str) -> Iterator[object]:
    """The Operations page of the city, signed in, its network drawn."""
    with browser_page(browser, city_server) as page:
        sign_in(page, admin_password)
        expose_modules(page)
        page.wait_for_function(NETWORK_DRAWN, arg=len(city["features"]), timeout=30_000)
        page.evaluate(
            """async () => { const { kitOf } = await import("/static/map/base.js");
                 window.dpLabels = kitOf(dp.map()).labels; }"""
        )
        yield page
        assert page.console_errors == []


# The label layer places its labels on an animation frame, at most ten times a second,
# after whatever moved (a view, a layer, a control, a tooltip). Placed since ``since``
# (the page's performance.now() [ms]), none waiting: or the layer is off the map.
LABELS_PLACED = """(since) => {
  const labels = window.dpLabels;
  return !labels._frame && !labels._timer && (labels._last > since || !labels._map);
}"""

NOW_MS = "() => performance.now()"


def _settle(page, since_ms: float) -> None:
    """Wait until the labels were placed for what changed after ``since_ms``."""
    page.wait_for_function(LABELS_PLACED, arg=since_ms, timeout=10_000)


def _view(page, lat: float, lon: float, zoom: int) -> None:
    since = page.evaluate(
        """([lat, lon, z]) => { const now = performance.now();
             dp.map().setView([lat, lon], z, { animate: false }); return now; }""",
        [lat, lon, zoom],
    )
    _settle(page, since)


def _densest_point(city: dict) -> tuple[float, float]:
    """The target point with the most other points within 600 m: the most crowded spot."""
    points = [
        f["geometry"]["coordinates"] for f in city["features"] if f["properties"]["kind"] == "point"
    ]

    def neighbours(p: list[float]) -> int:
        return sum(
            1
            for q in points
            if ((p[0] - q[0]) * 91_000) ** 2 + ((p[1] - q[1]) * 111_000) ** 2 < 600**2
        )

    lon, lat = max(points, key=neighbours)
    return lat, lon


def test_labels_come_with_zoom_and_never_overlap(city_page, city, artifacts: Path) -> None:
    page = city_page
    _settle(page, 0)
    start = page.evaluate(f"({VISIBLE_LABELS})()")
    target_labels = [
        b for b in start["boxes"] if b["id"].startswith("f:") and "station" not in b["cls"]
    ]
    # the whole city in view: no target label (station names may show)
    assert page.evaluate("() => dp.map().getZoom()") < 14
    assert target_labels == []
    lat, lon = _densest_point(city)
    seen = {}
    for zoom in (14, 15, 16, 17):
        _view(page, lat, lon, zoom)
        shown = page.evaluate(f"({VISIBLE_LABELS})()")
        assert shown["overlaps"] == 0, f"labels overlap at zoom {zoom}"
        assert shown["underControls"] == 0, f"labels under the map's controls at zoom {zoom}"
        seen[zoom] = {b["id"] for b in shown["boxes"]}
    page.screenshot(path=str(artifacts / "map-labels-zoom17.png"))
    # folding and unfolding the legend: labels make way for it again
    for _ in range(2):
        since = page.evaluate(NOW_MS)
        page.click(".map-legend summary")
        _settle(page, since)
    assert page.evaluate(f"({VISIBLE_LABELS})()")["underControls"] == 0
    # zoomed in, the crowded spot's targets carry their ids; more of them the closer one looks
    assert len(seen[16]) >= 10
    assert any(i.startswith("f:P") for i in seen[17])
    ids = {f["properties"]["id"] for f in city["features"]}
    assert all(i.removeprefix("f:") in ids for z in seen for i in seen[z])
    # and zoomed out again they are gone
    _view(page, lat, lon, 12)
    back = page.evaluate(f"({VISIBLE_LABELS})()")
    assert [b for b in back["boxes"] if "map-label-general" in b["cls"]] == []


def test_a_hover_tooltip_and_the_labels_never_cover_one_another(city_page, city) -> None:
    page = city_page
    lat, lon = _densest_point(city)
    _view(page, lat, lon, 16)
    # hover a labelled target point: its tooltip opens above it, labels under it give way
    point = page.evaluate(
        """([lat, lon]) => { const p = dp.map().latLngToContainerPoint([lat, lon]);
             const r = dp.map().getContainer().getBoundingClientRect();
             return [r.left + p.x, r.top + p.y]; }""",
        [lat, lon],
    )
    since = page.evaluate(NOW_MS)
    page.mouse.move(point[0], point[1])
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    _settle(page, since)
    got = page.evaluate(
        f"""() => {{
          const t = document.querySelector(".leaflet-tooltip").getBoundingClientRect();
          const labels = ({VISIBLE_LABELS})().boxes;
          const under = labels.filter((b) => b.x < t.right && t.left < b.x + b.w
                                             && b.y < t.bottom && t.top < b.y + b.h);
          return {{ under: under.length, tip: [t.left, t.top, t.right, t.bottom] }};
        }}"""
    )
    assert got["under"] == 0
    left, top, right, bottom = got["tip"]
    assert not (left <= point[0] <= right and top <= point[1] <= bottom), "tooltip covers its point"


def test_layers_switch_off_and_on_with_their_labels(city_page, city) -> None:
    page = city_page
    lat, lon = _densest_point(city)
    _view(page, lat, lon, 17)
    count_points = """() => { let n = 0; dp.map().eachLayer((l) =>
        { if (l.feature && l.feature.properties.kind === "point") n += 1; }); return n; }"""
    assert page.evaluate(count_points) == 677
    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    listed = [n.strip() for n in names]
    for name in ("Grids", "Lines", "Points", "No-fly zones", "Stations", "Labels"):
        assert name in listed
    page.hover(".leaflet-control-layers")
    since = page.evaluate(NOW_MS)
    page.get_by_label("Points", exact=True).uncheck()
    _settle(page, since)
    assert page.evaluate(count_points) == 0
    shown = page.evaluate(f"({VISIBLE_LABELS})()")["boxes"]
    point_ids = {
        f"f:{f['properties']['id']}" for f in city["features"] if f["properties"]["kind"] == "point"
    }
    assert not point_ids & {b["id"] for b in shown}
    since = page.evaluate(NOW_MS)
    page.get_by_label("Points", exact=True).check()
    _settle(page, since)
    assert page.evaluate(count_points) == 677
    since = page.evaluate(NOW_MS)
    page.get_by_label("Labels", exact=True).uncheck()
    _settle(page, since)
    assert page.evaluate(f"({VISIBLE_LABELS})()")["boxes"] == []


def test_scale_bar_and_a_legend_of_everything_drawn(city_page, city) -> None:
    page = city_page
    scale = page.locator(".leaflet-control-scale-line").first
    assert scale.is_visible()
    assert scale.inner_text().strip().endswith(("m", "km"))
    entries = page.locator(".map-legend li")
    listed = set(entries.evaluate_all("(els) => els.map((e) => e.dataset.symbol)"))
    kinds = {f["properties"]["kind"] for f in city["features"]}
    priorities = {
        f"priority-{f['properties']['priority']}"
        for f in city["features"]
        if "priority" in f["properties"]
    }
    assert kinds | priorities <= listed
    assert page.locator(".map-legend").is_visible()


def test_the_map_opens_on_the_network_before_the_network_arrives(
    browser, city_server, city, admin_password: str
) -> None:
    coords = []
    for f in city["features"]:
        g = f["geometry"]
        flat = (
            g["coordinates"]
            if g["type"] == "LineString"
            else (g["coordinates"][0] if g["type"] == "Polygon" else [g["coordinates"]])
        )
        coords.extend(flat)
    with browser_page(browser, city_server) as page:
        sign_in(page, admin_password)
        held = []
        page.route("**/api/network", lambda route: held.append(route))  # never answered yet
        page.reload()
        expose_modules(page)
        page.wait_for_function("() => dp.map() && dp.map().getZoom() !== undefined")
        for _ in range(100):  # the route's handler runs when Playwright next hears the browser
            if held:
                break
            page.wait_for_timeout(100)
        assert held, "the page asked for the network"
        inside = page.evaluate(
            """(coords) => { const b = dp.map().getBounds();
                 return coords.every(([lon, lat]) => b.contains([lat, lon])); }""",
            coords,
        )
        assert inside
        assert page.evaluate("() => dp.map().getZoom()") >= 10  # the city, not the world
        held[0].continue_()
