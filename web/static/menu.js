// The topbar's menu button on narrow screens (phones): it opens and closes the
// navigation and the sign-out. Without this module the navigation simply wraps.

const topbar = document.querySelector(".topbar");
const button = topbar && topbar.querySelector(".menu-button");

function setOpen(open) {
  topbar.classList.toggle("menu-closed", !open);
  button.setAttribute("aria-expanded", String(open));
  button.textContent = open ? "Close" : "Menu";
}

if (button) {
  button.hidden = false;
  setOpen(false);
  button.addEventListener("click", () => setOpen(topbar.classList.contains("menu-closed")));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !topbar.classList.contains("menu-closed")) {
      setOpen(false);
      button.focus();
    }
  });
}
