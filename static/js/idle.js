// Automatic logoff: while someone types or clicks (in any tab of Clinic), tell the server now and then
// so active work is not counted as idle. Shortly before the idle limit, warn with a "Stay signed in"
// button; once the limit passes with no activity, keep a copy of whatever is typed and not saved
// (unsaved.js) and go to the sign-in page, so no patient information stays on an unattended screen.
// The server enforces the same limit.
(function () {
  "use strict";
  var body = document.body;
  var limit = parseInt(body.dataset.idleSeconds || "0", 10);
  if (!limit) { return; }
  var keepaliveUrl = body.dataset.keepaliveUrl;
  var csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var SHARED = "clinic-last-activity";
  var lastActivity = Date.now();
  var lastPing = Date.now();
  var pingEvery = Math.min(60, Math.max(5, Math.floor(limit / 3))) * 1000;
  // Warn two minutes before, or a quarter of the limit when it is short.
  var warnBefore = Math.min(120, Math.max(10, Math.floor(limit / 4))) * 1000;
  var warning = null;
  var countdown = null;

  function shared() {
    try { return parseInt(window.localStorage.getItem(SHARED) || "0", 10); } catch (e) { return 0; }
  }
  function share(at) {
    try { window.localStorage.setItem(SHARED, String(at)); } catch (e) { /* private mode */ }
  }
  function latest() { return Math.max(lastActivity, shared()); }

  function ping() {
    lastPing = Date.now();
    return fetch(keepaliveUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { signOut(); }
        return response.ok;
      })
      .catch(function () { return false; /* offline: the next activity tries again */ });
  }
  var signingOut = false;
  function signOut() {
    if (signingOut) { return; }
    signingOut = true;
    // A fresh GET of this page (its own address: not a form's POST-only one, and without a #fragment,
    // which would only scroll): the server has ended the session and answers with its sign-in page.
    function go() {
      window.location.assign(body.dataset.pageUrl || window.location.pathname + window.location.search);
    }
    // First keep a copy of whatever is typed and not saved (encrypting it takes a moment).
    var kept = window.ClinicUnsaved ? window.ClinicUnsaved.keepAllTyped() : Promise.resolve();
    Promise.race([kept, new Promise(function (done) { window.setTimeout(done, 2000); })]).then(go, go);
  }
  function activity(event) {
    if (warning && event && event.target && event.target.closest && event.target.closest(".idle-warning")) {
      return;  // the warning's own button answers it
    }
    lastActivity = Date.now();
    if (lastActivity - shared() > 5000) { share(lastActivity); }
    if (warning) { hideWarning(); }
    if (lastActivity - lastPing > pingEvery) { ping(); }
  }

  function showWarning() {
    if (warning) { return; }
    warning = document.createElement("div");
    warning.className = "idle-warning alert alert-warning shadow d-flex flex-wrap align-items-center gap-2";
    warning.setAttribute("role", "alertdialog");
    warning.setAttribute("aria-labelledby", "idle-warning-text");
    warning.innerHTML = "<span id='idle-warning-text'>You will be signed out in <strong class='idle-left'></strong>" +
      " without activity. Anything typed and not saved is kept and comes back after you sign in.</span>" +
      "<button type='button' class='btn btn-primary btn-sm idle-stay'>Stay signed in</button>";
    warning.querySelector(".idle-stay").addEventListener("click", function () {
      lastActivity = Date.now();
      share(lastActivity);
      ping();
      hideWarning();
    });
    body.appendChild(warning);
    tick();
    countdown = window.setInterval(tick, 1000);
    warning.querySelector(".idle-stay").focus({ preventScroll: true });
  }
  function hideWarning() {
    if (!warning) { return; }
    warning.remove();
    warning = null;
    window.clearInterval(countdown);
  }
  function tick() {
    if (!warning) { return; }
    var left = Math.max(0, Math.ceil((latest() + limit * 1000 - Date.now()) / 1000));
    warning.querySelector(".idle-left").textContent =
      Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  }

  // What a person does (a scroll event also comes from the page itself, e.g. scroll anchoring).
  ["keydown", "pointerdown", "wheel", "touchstart", "touchmove"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true });
  });
  window.setInterval(function () {
    var idle = Date.now() - latest();
    if (idle > limit * 1000) { signOut(); return; }
    if (idle > limit * 1000 - warnBefore) { showWarning(); } else if (warning) { hideWarning(); }
  }, 1000);
})();
