// The meditation timer: a bell at the start, every chosen interval and at the end; Pause and Finish.
(function () {
  "use strict";
  var root = document.getElementById("timer");
  var M = window.PainRewireMindfulness;
  if (!root || !M) { return; }
  function part(name) { return root.querySelector('[data-role="' + name + '"]'); }
  var minutes = part("minutes"), interval = part("interval");
  var start = part("start"), pause = part("pause"), finish = part("finish");
  var clockText = part("clock"), status = part("status");
  var watch = new M.Stopwatch();
  var total = 0, every = 0, nextBell = 0, ticker = null, active = false;

  function show() { clockText.textContent = M.clock(total - watch.seconds()); }

  function tick() {
    var t = watch.seconds();
    if (t >= total) { end(true); return; }
    if (every > 0 && t >= nextBell) { M.bell(528); nextBell += every; }
    show();
  }

  function setActive(on) {
    active = on;
    start.disabled = on;
    pause.disabled = !on;
    finish.disabled = !on;
    minutes.disabled = on;
    interval.disabled = on;
    pause.textContent = "Pause";
  }

  function end(completed) {
    window.clearInterval(ticker);
    ticker = null;
    watch.pause();
    setActive(false);
    var seconds = Math.min(watch.seconds(), total);
    M.bell(392);
    clockText.textContent = completed ? "Finished" : M.clock(total - seconds);
    M.finishAndLog(root, seconds, {}, "meditation");
    watch.reset();
  }

  start.addEventListener("click", function () {
    var length = parseFloat(minutes.value), gap = parseFloat(interval.value || "0");
    if (!(length >= 1 && length <= 120)) { status.textContent = "Minutes: choose from 1 to 120."; return; }
    if (!(gap >= 0 && gap <= 60)) { status.textContent = "Bell interval (min): choose from 0 to 60."; return; }
    total = length * 60;
    every = gap * 60;
    nextBell = every;
    status.textContent = "";
    status.removeAttribute("data-logged");
    M.unlockSound();
    M.bell(392);
    watch.reset();
    watch.start();
    setActive(true);
    ticker = window.setInterval(tick, 250);
    show();
  });
  pause.addEventListener("click", function () {
    if (!active) { return; }
    if (watch.running()) { watch.pause(); pause.textContent = "Resume"; }
    else { watch.start(); pause.textContent = "Pause"; }
  });
  finish.addEventListener("click", function () { if (active) { end(false); } });
  minutes.addEventListener("input", function () {
    var length = parseFloat(minutes.value);
    if (!active && length > 0) { clockText.textContent = M.clock(length * 60); }
  });
})();
