// The chart page: "Use this dilution" fills the final volume the calculator proposes, and the
// calculator recalculates (its form listens to "change").
(function () {
  "use strict";
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest(".use-dilution");
    if (!button) { return; }
    var field = document.querySelector("#order-form [name=final_volume_ml]");
    if (!field) { return; }
    field.value = button.dataset.finalVolume;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();

// After a reading (or the checklist) the page comes back at #vitals: the cursor goes to the vitals
// form's first field, ready for the next reading, instead of the top of the page (36 Tabs away).
// unsaved.js restores interrupted work after this has run (decrypting takes a moment) and then moves
// the focus to what it restored, which is what should win.
(function () {
  "use strict";
  if (window.location.hash !== "#vitals") { return; }
  var section = document.getElementById("vitals");
  var field = section && section.querySelector("form.vitals-entry input:not([type=hidden]), form.vitals-entry select");
  if (!field || (document.activeElement && document.activeElement !== document.body)) { return; }
  section.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
})();
