// Shared by the mindfulness tools: a stopwatch that counts only running time, a soft bell made with Web Audio,
// and logging the minutes practised to the server (which checks them against when the page was opened).
(function () {
  "use strict";

  function Stopwatch() {
    this.total = 0;
    this.since = null;
  }
  Stopwatch.prototype.start = function () {
    if (this.since === null) { this.since = performance.now(); }
  };
  Stopwatch.prototype.pause = function () {
    if (this.since !== null) { this.total += performance.now() - this.since; this.since = null; }
  };
  Stopwatch.prototype.running = function () { return this.since !== null; };
  Stopwatch.prototype.seconds = function () {
    var ms = this.total + (this.since === null ? 0 : performance.now() - this.since);
    return Math.max(0, ms / 1000);
  };
  Stopwatch.prototype.reset = function () { this.total = 0; this.since = null; };

  var audioContext = null;
  // Call from a click first: browsers only let a page make sound after the person has interacted with it.
  function unlockSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    if (!audioContext) {
      try { audioContext = new Context(); } catch (e) { return null; }
    }
    if (audioContext.state === "suspended") { audioContext.resume(); }
    return audioContext;
  }

  // A bell: a few inharmonic partials with a slow exponential decay, like a small singing bowl.
  function bell(pitch) {
    var ctx = unlockSound();
    if (!ctx) { return; }
    var now = ctx.currentTime;
    var base = pitch || 432;
    var master = ctx.createGain();
    master.gain.setValueAtTime(0.0001, now);
    master.gain.exponentialRampToValueAtTime(0.25, now + 0.02);
    master.gain.exponentialRampToValueAtTime(0.0001, now + 4.5);
    master.connect(ctx.destination);
    [[1, 1], [2.76, 0.45], [5.4, 0.2]].forEach(function (partial) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = base * partial[0];
      gain.gain.value = partial[1];
      osc.connect(gain);
      gain.connect(master);
      osc.start(now);
      osc.stop(now + 4.6);
    });
  }

  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function roundMinutes(seconds) { return Math.round(seconds / 60 * 100) / 100; }

  // Send the minutes practised; resolves with the server's answer, rejects with a sentence to show.
  function logMinutes(root, extra) {
    var body = { activity: root.getAttribute("data-activity"), page_stamp: root.getAttribute("data-page-stamp") };
    Object.keys(extra).forEach(function (key) { body[key] = extra[key]; });
    return fetch(root.getAttribute("data-log-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var detail = data && data.detail;
          throw new Error(Array.isArray(detail) ? detail.join(" ") : (detail || "Your minutes could not be saved. Please try again."));
        }
        return data;
      });
    }, function () { throw new Error("Your minutes could not be saved: the clinic's server could not be reached."); });
  }

  // The least worth logging: a few seconds is a false start, not practice.
  var MIN_SECONDS = 6;

  function finishAndLog(root, seconds, extra, what) {
    var status = root.querySelector('[data-role="status"]');
    var capped = Math.min(seconds, parseFloat(root.getAttribute("data-max-minutes")) * 60);
    if (capped < MIN_SECONDS) {
      status.textContent = "Nothing logged: that was only a few seconds. Press Start to begin again.";
      return Promise.resolve(null);
    }
    var payload = { minutes: roundMinutes(capped) };
    Object.keys(extra || {}).forEach(function (key) { payload[key] = extra[key]; });
    status.textContent = "Saving…";
    status.classList.remove("failed");
    return logMinutes(root, payload).then(function (data) {
      status.textContent = "Logged " + data.minutes + " min of " + what + ". This week: " +
        (Math.round(data.week_minutes * 10) / 10) + " min of mindfulness. Well done.";
      status.setAttribute("data-logged", String(data.minutes));
      return data;
    }, function (error) {
      status.textContent = error.message;
      status.classList.add("failed");
      return null;
    });
  }

  window.PainRewireMindfulness = {
    Stopwatch: Stopwatch, bell: bell, unlockSound: unlockSound, clock: clock, finishAndLog: finishAndLog
  };
})();
