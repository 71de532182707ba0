// The set-up form: show only the fields of the chosen headset kind.
(function () {
  "use strict";
  var form = document.querySelector("[data-nfb-setup]");
  if (!form) { return; }
  function show() {
    var chosen = form.querySelector("[data-source-choice]:checked");
    var value = chosen ? chosen.value : "brainflow";
    form.querySelectorAll("[data-source]").forEach(function (part) {
      part.hidden = part.getAttribute("data-source") !== value;
    });
  }
  form.querySelectorAll("[data-source-choice]").forEach(function (radio) { radio.addEventListener("change", show); });
  show();
})();
