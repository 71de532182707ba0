// Small progressive enhancements shared by every page. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // A time-zone field still holding the clinic's default takes the browser's own zone (the person can change it).
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
  if (browserZone) {
    document.querySelectorAll("input[data-detect-zone]").forEach(function (input) { input.value = browserZone; });
  }
  // Forms that ask "are you sure?" carry data-confirm with the question.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
