// The breathing pacer: a circle that grows while breathing in and shrinks while breathing out, at the chosen
// breaths per minute and in:out ratio. Finishing (or reaching the chosen minutes) logs the time practised.
(function () {
  "use strict";
  var root = document.getElementById("pacer");
  var M = window.PainRewireMindfulness;
  if (!root || !M) { return; }
  function part(name) { return root.querySelector('[data-role="' + name + '"]'); }
  var bpm = part("bpm"), ratio = part("ratio"), minutes = part("minutes");
  var start = part("start"), finish = part("finish");
  var circle = part("circle"), phase = part("phase"), clockText = part("clock"), timing = part("timing");
  var status = part("status");
  var R_MIN = 40, R_MAX = 105;
  var watch = new M.Stopwatch();
  var config = null, frame = null, lastPhase = "";

  function read() {
    var perMinute = parseFloat(bpm.value), share = parseFloat(ratio.value), length = parseFloat(minutes.value);
    if (!(perMinute >= 3 && perMinute <= 12)) { return "Breaths per minute: choose from 3 to 12."; }
    if (!(length >= 1 && length <= 30)) { return "Minutes: choose from 1 to 30."; }
    if (!(share > 0 && share < 1)) { return "Breathe in : out: choose a ratio."; }
    var cycle = 60 / perMinute;
    return { perMinute: perMinute, share: share, seconds: length * 60, cycle: cycle, inhale: cycle * share };
  }

  function describe() {
    var c = read();
    if (typeof c === "string") { timing.textContent = c; return; }
    timing.textContent = "In " + (Math.round(c.inhale * 10) / 10) + " s, out " + (Math.round((c.cycle - c.inhale) * 10) / 10) + " s.";
    if (!watch.running()) { clockText.textContent = M.clock(c.seconds); }
  }

  function ease(p) { return 0.5 - 0.5 * Math.cos(Math.PI * p); }

  function draw() {
    var t = watch.seconds();
    var within = t % config.cycle;
    var radius, now;
    if (within < config.inhale) {
      now = "Breathe in";
      radius = R_MIN + (R_MAX - R_MIN) * ease(within / config.inhale);
    } else {
      now = "Breathe out";
      radius = R_MAX - (R_MAX - R_MIN) * ease((within - config.inhale) / (config.cycle - config.inhale));
    }
    circle.setAttribute("r", radius.toFixed(1));
    if (now !== lastPhase) { phase.textContent = now; lastPhase = now; }
    clockText.textContent = M.clock(config.seconds - t);
    if (t >= config.seconds) { stop(true); return; }
    frame = window.requestAnimationFrame(draw);
  }

  function setRunning(running) {
    start.disabled = running;
    finish.disabled = !running;
    [bpm, ratio, minutes].forEach(function (input) { input.disabled = running; });
  }

  function stop(completed) {
    if (frame !== null) { window.cancelAnimationFrame(frame); frame = null; }
    watch.pause();
    setRunning(false);
    var seconds = Math.min(watch.seconds(), config.seconds);
    phase.textContent = completed ? "Finished" : "Stopped";
    lastPhase = "";
    circle.setAttribute("r", String(R_MIN));
    if (completed) { M.bell(392); }
    M.finishAndLog(root, seconds, { breaths_per_minute: config.perMinute, inhale_share: Math.round(config.share * 1000) / 1000 },
      "breathing practice");
    watch.reset();
  }

  start.addEventListener("click", function () {
    var c = read();
    if (typeof c === "string") { status.textContent = c; return; }
    config = c;
    status.textContent = "";
    status.removeAttribute("data-logged");
    M.unlockSound();
    watch.reset();
    watch.start();
    setRunning(true);
    frame = window.requestAnimationFrame(draw);
  });
  finish.addEventListener("click", function () { if (watch.running()) { stop(false); } });
  [bpm, ratio, minutes].forEach(function (input) { input.addEventListener("input", describe); });
  describe();
})();
