// Guided imagined movement: one step at a time with a countdown; fills in the time spent on the form.
(function () {
  "use strict";
  var guide = document.getElementById("gmi-guide");
  if (!guide) { return; }
  var steps = Array.prototype.slice.call(guide.querySelectorAll(".gmi-step"));
  var timer = guide.querySelector('[data-role="timer"]');
  var beginButton = guide.querySelector('[data-role="begin"]');
  var nextButton = guide.querySelector('[data-role="next"]');
  var secondsField = document.querySelector('#gmi-imagery-form input[name="seconds"]');
  guide.classList.add("js");
  guide.querySelector('[data-role="controls"]').hidden = false;
  var index = -1, left = 0, tick = null, started = 0;

  function show(i) {
    steps.forEach(function (s, k) { s.classList.toggle("active", k === i); s.hidden = k !== i; });
  }
  function update() {
    timer.textContent = "Step " + (index + 1) + " of " + steps.length + " · " + left + " s";
  }
  function go(i) {
    clearInterval(tick);
    if (i >= steps.length) {
      steps.forEach(function (s) { s.hidden = false; s.classList.remove("active"); });
      timer.textContent = "Done. Take a moment, then rate how it went below.";
      nextButton.hidden = true;
      if (secondsField) { secondsField.value = String(Math.max(1, Math.round((Date.now() - started) / 1000))); }
      return;
    }
    index = i;
    left = parseInt(steps[i].getAttribute("data-seconds"), 10) || 20;
    show(i);
    update();
    tick = setInterval(function () {
      left -= 1;
      if (left <= 0) { go(index + 1); } else { update(); }
    }, 1000);
  }
  beginButton.addEventListener("click", function () {
    started = Date.now();
    beginButton.hidden = true;
    nextButton.hidden = false;
    timer.hidden = false;
    go(0);
  });
  nextButton.addEventListener("click", function () { go(index + 1); });
})();
