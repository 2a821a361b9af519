// Base-map datums: WGS 84 positions shifted onto Chinese base maps.
//
// Maps published in China (AutoNavi/Gaode, Tencent, Google's China tiles) draw
// their streets in GCJ-02, WGS 84 moved by an obfuscating offset of a few
// hundred metres; Baidu adds a further shift of its own (BD-09). Everything
// DronePatrol stores and flies is WGS 84. On such a base map the drawn geometry
// is shifted the same way, and clicks are shifted back: nothing else changes.
//
// The formulas are the published GCJ-02 / BD-09 approximations that open-source
// tools (coordtransform, eviltransform) share. Outside China the offset is zero,
// as those maps have it. Coordinates here are [lat, lon] in degrees.

const KRASOVSKY_A_M = 6378245.0; // semi-major axis of the Krasovsky 1940 ellipsoid [m]
const KRASOVSKY_EE = 0.00669342162296594323; // its first eccentricity squared
const BAIDU_X_PI = (Math.PI * 3000.0) / 180.0;

export const DATUMS = ["wgs84", "gcj02", "bd09"];

/** True outside the rough box of China where the offset applies (there it is zero). */
export function outOfChina(lat, lon) {
  return !(lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55);
}

function offsetLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function offsetLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** WGS 84 -> GCJ-02 [deg]. */
export function wgs84ToGcj02(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  const radLat = (lat / 180.0) * Math.PI;
  const s = Math.sin(radLat);
  const magic = 1 - KRASOVSKY_EE * s * s;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (offsetLat(lon - 105.0, lat - 35.0) * 180.0) /
    (((KRASOVSKY_A_M * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (offsetLon(lon - 105.0, lat - 35.0) * 180.0) /
    ((KRASOVSKY_A_M / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lon + dLon];
}

/** GCJ-02 -> BD-09 [deg] (Baidu's published shift). */
export function gcj02ToBd09(lat, lon) {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * BAIDU_X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * BAIDU_X_PI);
  return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
}

/** BD-09 -> GCJ-02 [deg], Baidu's closed-form approximate inverse. */
export function bd09ToGcj02(lat, lon) {
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * BAIDU_X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * BAIDU_X_PI);
  return [z * Math.sin(theta), z * Math.cos(theta)];
}

/** WGS 84 -> BD-09 [deg]. */
export function wgs84ToBd09(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  return gcj02ToBd09(...wgs84ToGcj02(lat, lon));
}

/**
 * The WGS 84 position that `forward` takes to (lat, lon), found by fixed-point
 * iteration: the shifts vary by well under a millimetre per metre, so each step
 * divides the error by a thousand or more; it stops below 1e-10 deg (~0.01 mm).
 */
export function invert(forward, lat, lon) {
  let wLat = lat;
  let wLon = lon;
  for (let i = 0; i < 20; i++) {
    const [fLat, fLon] = forward(wLat, wLon);
    const eLat = fLat - lat;
    const eLon = fLon - lon;
    wLat -= eLat;
    wLon -= eLon;
    if (Math.abs(eLat) < 1e-10 && Math.abs(eLon) < 1e-10) break;
  }
  return [wLat, wLon];
}

/** GCJ-02 -> WGS 84 [deg] (iterated: exact to 1e-10 deg, unlike the one-step formula). */
export function gcj02ToWgs84(lat, lon) {
  return invert(wgs84ToGcj02, lat, lon);
}

/** BD-09 -> WGS 84 [deg]. */
export function bd09ToWgs84(lat, lon) {
  return invert(wgs84ToBd09, lat, lon);
}

const SHIFTS = {
  gcj02: { toMap: wgs84ToGcj02, fromMap: gcj02ToWgs84 },
  bd09: { toMap: wgs84ToBd09, fromMap: bd09ToWgs84 },
};

/** The datum a page's map element names (`data-map-datum`), "wgs84" when unset or unknown. */
export function datumOf(name) {
  const key = String(name || "").toLowerCase().replace(/[-_ ]/g, "");
  return DATUMS.includes(key) ? key : "wgs84";
}

/**
 * A Leaflet CRS for base tiles drawn in `datum`: Web Mercator, but each WGS 84
 * position is shifted into the datum before it is projected (and shifted back
 * when a screen point is turned into a position). Layers, clicks, bounds and the
 * scale bar all keep speaking WGS 84; only where things are drawn moves.
 */
export function datumCrs(L, datum) {
  const shift = SHIFTS[datumOf(datum)];
  if (!shift) return L.CRS.EPSG3857;
  const mercator = L.Projection.SphericalMercator;
  const projection = {
    bounds: mercator.bounds,
    project(latlng) {
      const [lat, lon] = shift.toMap(latlng.lat, latlng.lng);
      return mercator.project(L.latLng(lat, lon));
    },
    unproject(point) {
      const shown = mercator.unproject(point);
      const [lat, lon] = shift.fromMap(shown.lat, shown.lng);
      return L.latLng(lat, lon);
    },
  };
  return L.Util.extend({}, L.CRS.EPSG3857, { code: `EPSG:3857/${datumOf(datum)}`, projection });
}
