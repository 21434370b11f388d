// Automatic logoff: while someone types or clicks, tell the server now and then so active work
// is not counted as idle; once the idle limit passes with no activity, go to the sign-in page so
// no patient information stays on an unattended screen. The server enforces the same limit.
(function () {
  "use strict";
  var body = document.body;
  var limit = parseInt(body.dataset.idleSeconds || "0", 10);
  if (!limit) { return; }
  var keepaliveUrl = body.dataset.keepaliveUrl;
  var csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var lastActivity = Date.now();
  var lastPing = Date.now();
  var pingEvery = Math.min(60, Math.max(5, Math.floor(limit / 3))) * 1000;

  function ping() {
    lastPing = Date.now();
    fetch(keepaliveUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) { if (response.status === 401) { signOut(); } })
      .catch(function () { /* offline: the next activity tries again */ });
  }
  function signOut() {
    // A fresh GET of this page: the server has ended the session and answers with its sign-in page.
    window.location.assign(window.location.href);
  }
  function activity() {
    lastActivity = Date.now();
    if (lastActivity - lastPing > pingEvery) { ping(); }
  }
  ["keydown", "pointerdown", "scroll", "touchstart"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true });
  });
  window.setInterval(function () {
    if (Date.now() - lastActivity > limit * 1000) { signOut(); }
  }, 5000);
})();
