// Refresh <main data-refresh> in place every 3 s; remember the API token for this tab.
"use strict";
const KEY = "kpiwatch-token";
function fillTokens() {
  const t = sessionStorage.getItem(KEY);
  document.querySelectorAll("input.token").forEach((i) => { if (t && !i.value) i.value = t; });
}
document.addEventListener("submit", (e) => {
  const i = e.target.querySelector("input.token");
  if (i && i.value) sessionStorage.setItem(KEY, i.value);
});
async function refresh() {
  const main = document.querySelector("main[data-refresh]");
  if (!main || document.hidden) return;
  try {
    const r = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const next = doc.querySelector("main");
    if (next) { main.innerHTML = next.innerHTML; fillTokens(); }
    const note = doc.querySelector("header .note");
    if (note) document.querySelector("header .note").textContent = note.textContent;
  } catch (err) { /* the worker may be restarting: try again next time */ }
}
fillTokens();
setInterval(refresh, 3000);
