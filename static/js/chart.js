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
