// Questionnaires: show an item that depends on the total (PHQ-9 item 10) only when it is asked,
// keep the progress count current, and disable the submit button once pressed so a double tap
// sends one submission (the server also refuses a second one).
(function () {
  "use strict";
  document.querySelectorAll("form[data-questionnaire]").forEach(function (form) {
    var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
    var bar = document.querySelector(".questionnaire-progress .progress-bar");
    var meter = document.querySelector(".questionnaire-progress .progress");

    function valueOf(question) {
      var checked = question.querySelector("input[type=radio]:checked");
      return checked ? parseInt(checked.value, 10) : null;
    }
    function refresh() {
      var total = 0;
      questions.forEach(function (q) {
        if (!q.dataset.unscored && !q.dataset.askIfTotalAbove) { total += valueOf(q) || 0; }
      });
      var asked = 0, answered = 0;
      questions.forEach(function (q) {
        var threshold = q.dataset.askIfTotalAbove;
        var shown = threshold === undefined || total > parseInt(threshold, 10);
        q.hidden = !shown;
        if (shown) { asked += 1; if (valueOf(q) !== null) { answered += 1; } }
      });
      var count = document.querySelector("#draft-status .progress-count");
      if (count) { count.textContent = answered + " of " + asked + " answered"; }
      if (bar && asked) { bar.style.width = Math.round(100 * answered / asked) + "%"; }
      if (meter) { meter.setAttribute("aria-valuenow", answered); meter.setAttribute("aria-valuemax", asked); }
    }
    form.addEventListener("change", refresh);
    document.body.addEventListener("htmx:afterSwap", refresh);
    form.addEventListener("submit", function () {
      var button = form.querySelector("[data-submit]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
    refresh();
  });
})();
