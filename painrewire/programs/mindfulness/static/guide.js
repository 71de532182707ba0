// A guided practice, step by step: each written step is shown for its time, with an optional soft bell
// between steps. If the clinic attached a recording, time spent listening counts as practice too.
(function () {
  "use strict";
  var root = document.getElementById("guide");
  var M = window.PainRewireMindfulness;
  if (!root || !M) { return; }
  function part(name) { return root.querySelector('[data-role="' + name + '"]'); }
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-role="steps"] li'));
  var durations = items.map(function (li) { return parseFloat(li.getAttribute("data-seconds")) || 0; });
  var total = durations.reduce(function (a, b) { return a + b; }, 0);
  var start = part("start"), pause = part("pause"), finish = part("finish");
  var stepCount = part("step-count"), stepText = part("step-text"), clockText = part("clock");
  var bells = part("bells"), status = part("status"), recording = part("audio");
  var steps = new M.Stopwatch(), listening = new M.Stopwatch();
  var ticker = null, current = -1, started = false;

  function stepAt(t) {
    var sum = 0;
    for (var i = 0; i < durations.length; i++) {
      sum += durations[i];
      if (t < sum) { return i; }
    }
    return durations.length;
  }

  function practised() { return Math.max(steps.seconds(), listening.seconds()); }

  function showStep(i) {
    items.forEach(function (li, k) {
      li.classList.toggle("current", k === i);
      if (k === i) { li.setAttribute("aria-current", "step"); } else { li.removeAttribute("aria-current"); }
    });
    if (i < items.length) {
      stepCount.textContent = "Step " + (i + 1) + " of " + items.length;
      stepText.textContent = items[i].textContent.replace(/^\s*\d+:\d\d\s*/, "");
    }
  }

  function tick() {
    var t = steps.seconds();
    var i = stepAt(t);
    if (i !== current) {
      if (current >= 0 && i < items.length && bells.checked) { M.bell(432); }
      current = i;
      showStep(i);
    }
    clockText.textContent = M.clock(total - t);
    if (i >= items.length) { end(true); }
  }

  function setState(running) {
    started = running;
    start.disabled = running;
    pause.disabled = !running;
    finish.disabled = !running;
    pause.textContent = "Pause";
  }

  function end(completed) {
    window.clearInterval(ticker);
    ticker = null;
    steps.pause();
    listening.pause();
    if (recording && !recording.paused) { recording.pause(); }
    setState(false);
    if (completed) {
      M.bell(392);
      stepCount.textContent = "Finished";
      stepText.textContent = "Take a moment before moving on. Thank you for giving yourself this time.";
    }
    var seconds = practised();
    M.finishAndLog(root, seconds, {}, root.getAttribute("data-title").toLowerCase());
    steps.reset();
    listening.reset();
    current = -1;
  }

  function begin(withSteps) {
    status.textContent = "";
    status.removeAttribute("data-logged");
    M.unlockSound();
    if (withSteps) { steps.start(); }
    setState(true);
    if (ticker === null) { ticker = window.setInterval(tick, 250); }
    tick();
  }

  start.addEventListener("click", function () { begin(true); });
  pause.addEventListener("click", function () {
    if (!started) { return; }
    if (steps.running()) { steps.pause(); pause.textContent = "Resume"; }
    else { steps.start(); pause.textContent = "Pause"; }
  });
  finish.addEventListener("click", function () { if (started) { end(false); } });
  if (recording) {
    recording.addEventListener("play", function () {
      listening.start();
      if (!started) { begin(false); }
    });
    recording.addEventListener("pause", function () { listening.pause(); });
    recording.addEventListener("ended", function () {
      listening.pause();
      if (started && !steps.running()) { end(true); }
    });
  }
})();
