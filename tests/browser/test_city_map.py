"""The generated real-shaped city on the Operations map: every grid, line and point drawn."""

from __future__ import annotations

import pytest
from support import browser_page, expose_modules, sign_in

pytestmark = pytest.mark.browser


COUNT_LAYERS = """() => {
  const counts = { grid: 0, line: 0, point: 0, station: 0 };
  dp.map().eachLayer((l) => {
    const kind = l.feature && l.feature.properties && l.feature.properties.kind;
    if (kind in counts) counts[kind] += 1;
  });
  return counts;
}"""


def test_the_city_network_is_drawn_whole_without_errors(
    browser, city_server, city, admin_password: str
) -> None:
    kinds = [f["properties"]["kind"] for f in city["features"]]
    expected = {k: kinds.count(k) for k in ("grid", "line", "point", "station")}
    assert expected["grid"] == 129 and expected["line"] == 105 and expected["point"] == 677
    with browser_page(browser, city_server) as page:
        sign_in(page, admin_password)
        expose_modules(page)
        page.wait_for_function(
            "dp.map() && (() => { let n = 0;"
            " dp.map().eachLayer((l) => { if (l.feature) n += 1; });"
            f" return n >= {sum(expected.values())}; }})()",
            timeout=30_000,
        )
        assert page.evaluate(f"({COUNT_LAYERS})()") == expected
        # the map is fitted to the city: every station is within the view
        inside = page.evaluate(
            """(stations) => stations.every(([lat, lon]) =>
                 dp.map().getBounds().contains([lat, lon]))""",
            [
                [f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]]
                for f in city["features"]
                if f["properties"]["kind"] == "station"
            ],
        )
        assert inside
        # a reload revalidates the network (304) and draws the same
        page.reload()
        expose_modules(page)
        page.wait_for_function(
            f"dp.map() && ({COUNT_LAYERS})().point === {expected['point']}",
            timeout=30_000,
        )
        assert page.console_errors == []
