// The colour theme: dark for the control room, daylight (light, high contrast)
// for screens used outdoors. The choice is kept in localStorage and mirrored in
// a cookie so the server renders the next page in it (no dark flash on a
// bright screen); every page's topbar has the switch.

const KEY = "dronepatrol.theme";
const COOKIE = "dp_theme";
export const THEMES = Object.freeze(["dark", "daylight"]);

function stored() {
  try {
    const theme = window.localStorage.getItem(KEY);
    return THEMES.includes(theme) ? theme : null;
  } catch (e) {
    return null; // storage off (private mode, policy): the page's own theme stands
  }
}

/** The theme the page shows now. */
export function current() {
  return document.documentElement.dataset.theme === "daylight" ? "daylight" : "dark";
}

function showSwitches(theme) {
  document.querySelectorAll(".theme-switch").forEach((button) => {
    button.setAttribute("aria-pressed", String(theme === "daylight"));
  });
}

/** Show `theme`, remember it, and tell the page (a `dp:theme` event on document). */
export function apply(theme) {
  if (!THEMES.includes(theme)) throw new Error(`unknown theme ${theme}: use ${THEMES.join(" or ")}`);
  document.documentElement.dataset.theme = theme;
  try {
    window.localStorage.setItem(KEY, theme);
  } catch (e) { /* kept for this page only */ }
  const secure = window.location.protocol === "https:" ? "; secure" : "";
  document.cookie = `${COOKIE}=${theme}; path=/; max-age=31536000; samesite=lax${secure}`;
  showSwitches(theme);
  document.dispatchEvent(new CustomEvent("dp:theme", { detail: theme }));
}

const remembered = stored();
if (remembered && remembered !== current()) apply(remembered);
else showSwitches(current());

document.addEventListener("click", (event) => {
  if (event.target.closest(".theme-switch")) apply(current() === "daylight" ? "dark" : "daylight");
});
// another tab switched: follow it
window.addEventListener("storage", (event) => {
  if (event.key === KEY && THEMES.includes(event.newValue) && event.newValue !== current()) apply(event.newValue);
});
