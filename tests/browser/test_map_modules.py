"""The map's modules in Chromium on their own: datum shifts, the datum's map projection,
label placement. The static files are served to the page straight from the checkout
(no app server), so these run in a second or two."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
ORIGIN = "http://map.test"
HARNESS = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<link rel="stylesheet" href="/static/map.css"></head>
<body style="margin:0"><div id="map" style="width:800px;height:600px"></div>
<script src="/static/vendor/leaflet/leaflet.js"></script></body></html>"""

# wandergis/coordtransform, test/app.js: its published results for (lon 116.404, lat 39.915),
# central Beijing, written [lon, lat] there and [lat, lon] here.
COORDTRANSFORM = {
    "wgs84ToGcj02": (39.91640428150164, 116.41024449916938),
    "gcj02ToBd09": (39.92133699351021, 116.41036949371029),
    "bd09ToGcj02": (39.90865673957631, 116.39762729119315),
    # its GCJ-02 -> WGS 84 is the one-step approximation; ours iterates to 1e-10 deg
    "gcj02ToWgs84": (39.91359571849836, 116.39775550083061),
}


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A blank page at a private origin whose /static/ is the checkout's web/static."""
    context = browser.new_context()

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/":
            route.fulfill(body=HARNESS, content_type="text/html")
            return
        file = STATIC / path.removeprefix("/static/")
        if not path.startswith("/static/") or not file.is_file():
            route.fulfill(status=404, body="not found")
            return
        kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0]
        route.fulfill(body=file.read_bytes(), content_type=kind or "application/octet-stream")

    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{ORIGIN}/")
    yield page
    assert errors == []
    context.close()


def test_datum_shifts_match_the_published_reference_values(page) -> None:
    got = page.evaluate(
        """async () => {
          const d = await import("/static/map/datum.js");
          return Object.fromEntries(["wgs84ToGcj02", "gcj02ToBd09", "bd09ToGcj02", "gcj02ToWgs84"]
            .map((name) => [name, d[name](39.915, 116.404)]));
        }"""
    )
    for name, (lat, lon) in COORDTRANSFORM.items():
        tolerance = 1e-12 if name != "gcj02ToWgs84" else 1e-6  # 1e-6 deg: about 10 cm
        assert got[name][0] == pytest.approx(lat, abs=tolerance), name
        assert got[name][1] == pytest.approx(lon, abs=tolerance), name


def test_shifts_undo_exactly_in_china_and_do_nothing_outside(page) -> None:
    worst = page.evaluate(
        """async () => {
          const d = await import("/static/map/datum.js");
          let worst = 0;
          for (let lat = 18.5; lat < 53; lat += 2.7) {
            for (let lon = 74; lon < 135; lon += 3.1) {
              const pairs = [[d.wgs84ToGcj02, d.gcj02ToWgs84], [d.wgs84ToBd09, d.bd09ToWgs84]];
              for (const [to, from] of pairs) {
                const back = from(...to(lat, lon));
                worst = Math.max(worst, Math.abs(back[0] - lat), Math.abs(back[1] - lon));
              }
            }
          }
          const canberra = [...d.wgs84ToGcj02(-35.3633, 149.1652),
                            ...d.wgs84ToBd09(-35.3633, 149.1652)];
          const shanghai = d.wgs84ToGcj02(31.2304, 121.4737);
          return { worst, canberra, shanghai };
        }"""
    )
    assert worst["worst"] < 1e-9
    assert worst["canberra"] == [-35.3633, 149.1652, -35.3633, 149.1652]
    # GCJ-02's offset in Shanghai is a few hundred metres, not zero and not kilometres
    dlat_m = (worst["shanghai"][0] - 31.2304) * 111_320
    dlon_m = (worst["shanghai"][1] - 121.4737) * 111_320 * 0.855
    assert 200 < (dlat_m**2 + dlon_m**2) ** 0.5 < 800


def test_a_gcj02_map_draws_wgs84_positions_where_gcj02_tiles_have_them(page) -> None:
    """A position is drawn at the pixel of its GCJ-02 shift; a click there reads WGS 84."""
    got = page.evaluate(
        """async () => {
          const d = await import("/static/map/datum.js");
          const map = L.map("map", { crs: d.datumCrs(L, "gcj02") }).setView([39.915, 116.404], 16);
          const plain = L.CRS.EPSG3857;
          const wgs = L.latLng(39.915, 116.404);
          const drawnAt = map.project(wgs, 16);
          const tileAt = plain.latLngToPoint(L.latLng(...d.wgs84ToGcj02(39.915, 116.404)), 16);
          const unprojected = map.unproject(drawnAt, 16);
          // Leaflet rounds screen points to whole pixels: a click reads WGS 84 within a pixel
          const clicked = map.containerPointToLatLng(map.latLngToContainerPoint(wgs));
          return {
            dx: drawnAt.x - tileAt.x, dy: drawnAt.y - tileAt.y,
            clicked: [clicked.lat, clicked.lng],
            unprojected: [unprojected.lat, unprojected.lng],
            scaleM: map.distance(map.containerPointToLatLng([0, 300]),
                                 map.containerPointToLatLng([100, 300])),
          };
        }"""
    )
    assert abs(got["dx"]) < 1e-6 and abs(got["dy"]) < 1e-6
    assert got["unprojected"] == pytest.approx([39.915, 116.404], abs=1e-9)
    assert got["clicked"] == pytest.approx([39.915, 116.404], abs=2e-5)  # 1 px ~ 1.8 m
    # 100 px at zoom 16 near 40 deg N: 156543 m * cos(lat) / 2^16 per px
    assert got["scaleM"] == pytest.approx(100 * 156543.03 * 0.766 / 2**16, rel=0.01)


def test_placed_labels_never_overlap_and_the_important_ones_win(page) -> None:
    got = page.evaluate(
        """async () => {
          const { placeLabels, overlaps } = await import("/static/map/labels.js");
          let seed = 7;
          const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
          const labels = [];
          for (let i = 0; i < 600; i++) {
            labels.push({ id: `t${i}`, priority: i < 20 ? 0 : 5, x: rand() * 800, y: rand() * 600,
                          w: 30 + rand() * 60, h: 14, gap: 8,
                          positions: ["right", "left", "above", "below"] });
          }
          const obstacles = labels.map(
            (l) => ({ x: l.x - 6, y: l.y - 6, w: 12, h: 12, owner: l.id }));
          const placed = placeLabels(labels, obstacles);
          const boxes = [...placed.entries()];
          let clashes = 0;
          for (let i = 0; i < boxes.length; i++) {
            const [id, box] = boxes[i];
            for (let j = i + 1; j < boxes.length; j++) if (overlaps(box, boxes[j][1])) clashes++;
            for (const o of obstacles) if (o.owner !== id && overlaps(box, o)) clashes++;
          }
          // without symbols in the way, the twenty most important compete only among themselves
          const open = placeLabels(labels);
          const firstTwenty = labels.slice(0, 20).filter((l) => open.has(l.id)).length;
          const crowdedShare = placed.size / labels.length;
          // two labels wanting the same spot: the more important one takes it
          const duel = placeLabels([
            { id: "general", priority: 8, x: 100, y: 100, w: 50, h: 14, positions: ["center"] },
            { id: "key", priority: 4, x: 110, y: 100, w: 50, h: 14, positions: ["center"] },
          ]);
          return { clashes, shown: placed.size, firstTwenty, crowdedShare, duel: [...duel.keys()] };
        }"""
    )
    assert got["clashes"] == 0
    assert got["firstTwenty"] >= 18  # placed first, almost all find room
    assert 0.1 < got["crowdedShare"] < 1.0  # crowded: some shown, some left out
    assert got["duel"] == ["key"]


def test_label_anchors_sit_on_their_features(page) -> None:
    got = page.evaluate(
        """async () => {
          const { featureAnchor } = await import("/static/map/labels.js");
          const square = { type: "Feature", properties: {}, geometry: { type: "Polygon",
            coordinates: [[[149.0, -35.0], [149.02, -35.0], [149.02, -34.98], [149.0, -34.98],
                           [149.0, -35.0]]] } };
          const line = { type: "Feature", properties: {}, geometry: { type: "LineString",
            coordinates: [[149.0, -35.0], [149.01, -35.0], [149.03, -35.0]] } };
          return { square: featureAnchor(square), line: featureAnchor(line) };
        }"""
    )
    assert got["square"] == pytest.approx([-34.99, 149.01], abs=1e-9)
    assert got["line"] == pytest.approx([-35.0, 149.015], abs=1e-9)


def test_the_base_map_takes_its_datum_and_first_view_from_the_page(page) -> None:
    """The server's data-map-datum and data-start-bounds, as the map element carries them."""
    got = page.evaluate(
        """async () => {
          const { baseMap } = await import("/static/map/base.js");
          const d = await import("/static/map/datum.js");
          const element = document.getElementById("map");
          element.dataset.mapDatum = "gcj02";
          element.dataset.startBounds = "39.90,116.38,39.93,116.42";
          const { map, legend, layers } = baseMap(L, element);
          const b = map.getBounds();
          const marker = L.circleMarker([39.915, 116.404]).addTo(map);
          const drawn = map.latLngToContainerPoint(marker.getLatLng());
          const plain = L.CRS.EPSG3857;
          const z = map.getZoom();
          const shifted = plain.latLngToPoint(L.latLng(...d.wgs84ToGcj02(39.915, 116.404)), z)
            .subtract(map.getPixelOrigin()).add(map._getMapPanePos());
          return {
            contains: b.contains([[39.90, 116.38], [39.93, 116.42]]),
            zoom: z,
            offset: [drawn.x - shifted.x, drawn.y - shifted.y],
            scale: !!document.querySelector(".leaflet-control-scale-line"),
            legend: !!document.querySelector(".map-legend"),
            layers: !!document.querySelector(".leaflet-control-layers"),
          };
        }"""
    )
    assert got["contains"] and got["zoom"] >= 13
    assert abs(got["offset"][0]) <= 1 and abs(got["offset"][1]) <= 1  # whole pixels
    assert got["scale"] and got["legend"] and got["layers"]


def test_without_start_bounds_the_map_opens_on_the_world(page) -> None:
    zoom = page.evaluate(
        """async () => {
          const { baseMap } = await import("/static/map/base.js");
          return baseMap(L, document.getElementById("map")).map.getZoom();
        }"""
    )
    assert zoom == 2
