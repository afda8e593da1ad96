// capacity-planner serve: the meeting page's only script (no library, nothing from the network).
// 1. Clicking a cell of the proposed timetable chooses its clinician and slot in the action form.
// 2. A form marked data-progress shows a running timer and disables the buttons while the server works.
document.addEventListener("DOMContentLoaded", function () {
  var grid = document.getElementById("proposed");
  if (grid) {
    grid.addEventListener("click", function (event) {
      var cell = event.target.closest("td[data-slot]");
      if (!cell) { return; }
      document.getElementById("clinician").value = cell.dataset.clinician;
      document.getElementById("slot").value = cell.dataset.slot;
      if (cell.dataset.activity) { document.getElementById("activity").value = cell.dataset.activity; }
      grid.querySelectorAll("td.selected").forEach(function (td) { td.classList.remove("selected"); });
      cell.classList.add("selected");
    });
  }
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var label = form.dataset.progress, started = Date.now(), status = document.getElementById("progress");
      document.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var tick = function () {
        status.textContent = label + "… " + ((Date.now() - started) / 1000).toFixed(1) + " s";
      };
      tick();
      window.setInterval(tick, 100);
    });
  });
});
