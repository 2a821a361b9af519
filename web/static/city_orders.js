// Goto and orbit from the command centre: on a drone's card the operator presses
// "Go to…" or "Orbit…", clicks the place on the map, sets the altitude (and the
// orbit's radius) and sends it. The station routes the order round its own no-fly
// zones: a goto into one watches the place from outside (its answer says from
// where), an orbit into one is refused with the reason. The path the station flies
// and the point it watches from are drawn on the map.

const PICK_COLOUR = "#ff9f1c";
const ROUTE_STYLE = { color: PICK_COLOUR, weight: 3, dashArray: "6 5", opacity: 0.9 };
const DEFAULT_ALT_M = 30;
const DEFAULT_RADIUS_M = 50;

/**
 * Goto and orbit on the centre's ``map`` (``kit`` its legend and labels).
 * ``send(v, name, answer, body, onAccepted)`` sends an order through the drone's
 * station and shows its answer and outcome in ``answer``, as the RTL and Land
 * buttons do. Returns ``{addButtons(controls, current, answer)}``.
 */
export function placeOrders(map, kit, send) {
  const drawn = L.layerGroup().addTo(map); // the pick, then the route flown
  const hint = document.getElementById("order-hint");
  if (hint) hint.hidden = false; // how to pick a place, for those who may send one
  let armed = null; // {name, form, current, place}

  function disarm() {
    if (!armed) return;
    armed.form.hidden = true;
    armed = null;
    map.getContainer().classList.remove("picking");
  }

  function drawPick() {
    drawn.clearLayers();
    const { place, name, form } = armed;
    L.circleMarker(place, { radius: 8, color: PICK_COLOUR, weight: 3, fill: false }).addTo(drawn);
    if (name === "orbit") {
      L.circle(place, { radius: Number(form.radius_m.value) || DEFAULT_RADIUS_M, color: PICK_COLOUR, weight: 2, fill: false }).addTo(drawn);
    }
    kit.legend.show("order-pick", {
      label: "place picked for a goto or orbit",
      svg: `<svg width="16" height="16" viewBox="-8 -8 16 16"><circle r="5" fill="none" stroke="${PICK_COLOUR}" stroke-width="2.5"/></svg>`,
    });
  }

  /** The path the station will fly, and where a goto watches the place from. */
  function drawAccepted(reply, place) {
    drawn.clearLayers();
    if (reply.route && reply.route.length > 1) L.polyline(reply.route, ROUTE_STYLE).addTo(drawn);
    const watch = reply.watch;
    if (watch && watch.from_outside) {
      // the message quotes the station's no-fly zone name: a file's text, so a text node
      // (a string tooltip is HTML to Leaflet)
      const tip = document.createElement("span");
      tip.textContent = watch.message;
      L.circleMarker([watch.lat, watch.lon], { radius: 6, color: PICK_COLOUR, weight: 2, fillOpacity: 0.8 })
        .bindTooltip(tip).addTo(drawn);
      L.polyline([[watch.lat, watch.lon], place], { color: PICK_COLOUR, weight: 1, dashArray: "2 4" }).addTo(drawn);
    }
    L.circleMarker(place, { radius: 8, color: PICK_COLOUR, weight: 3, fill: false }).addTo(drawn);
  }

  map.on("click", (e) => {
    if (!armed) return; // other layers of the page keep their clicks
    armed.place = [e.latlng.lat, e.latlng.lng];
    const { form, name, current } = armed;
    const v = current();
    form.querySelector(".pick").textContent =
      `${name === "orbit" ? "Orbit" : "Send"} ${v.vehicle} ${name === "orbit" ? "round" : "to"} ${e.latlng.lat.toFixed(6)}, ${e.latlng.lng.toFixed(6)}?`;
    form.querySelector("button[type=submit]").disabled = false;
    drawPick();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") disarm();
  });

  function orderForm(name) {
    const form = document.createElement("form");
    form.className = "place-order";
    form.hidden = true;
    form.dataset.order = name;
    form.innerHTML = `<p class="pick hint"></p>
      <label>Altitude <input name="alt_m" type="number" min="2" max="120" step="1" value="${DEFAULT_ALT_M}" required> m</label>
      ${name === "orbit" ? `<label>Radius <input name="radius_m" type="number" min="5" max="500" step="1" value="${DEFAULT_RADIUS_M}" required> m</label>` : ""}
      <button type="submit" disabled>Send</button> <button type="button" class="cancel">Cancel</button>`;
    form.querySelector(".cancel").addEventListener("click", () => {
      disarm();
      drawn.clearLayers();
    });
    if (name === "orbit") form.radius_m.addEventListener("input", () => armed && armed.place && drawPick());
    return form;
  }

  function addButtons(controls, current, answer) {
    const card = controls.closest(".card");
    ["goto", "orbit"].forEach((name) => {
      const form = orderForm(name);
      card.insertBefore(form, answer);
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.command = name;
      button.textContent = name === "orbit" ? "Orbit…" : "Go to…";
      button.addEventListener("click", () => {
        disarm();
        drawn.clearLayers();
        armed = { name, form, current, place: null };
        form.hidden = false;
        form.querySelector("button[type=submit]").disabled = true;
        form.querySelector(".pick").textContent =
          `Click the place on the map for ${current().vehicle} (Esc cancels).`;
        map.getContainer().classList.add("picking");
      });
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        if (!armed || armed.form !== form || !armed.place) return;
        const place = armed.place;
        const body = { lat: place[0], lon: place[1], alt_m: Number(form.alt_m.value) };
        if (name === "orbit") body.radius_m = Number(form.radius_m.value);
        disarm();
        send(current(), name, answer, body, (reply) => drawAccepted(reply, place));
      });
      controls.appendChild(button);
    });
  }

  return { addButtons };
}
