// The patient's feedback screen: a circle that grows with the feedback and a continuous tone (Web Audio) for
// eyes-closed training, both smoothed between the updates the server sends four times a second.
(function () {
  "use strict";
  var root = document.getElementById("nfb-feedback");
  if (!root || !window.PainRewireLive) { return; }
  var stateText = root.querySelector('[data-role="state"]');
  var stage = root.querySelector('[data-role="stage"]');
  var orb = root.querySelector('[data-role="orb"]');
  var halo = root.querySelector('[data-role="halo"]');
  var progress = root.querySelector('[data-role="progress"]');
  var track = root.querySelector('[data-role="progress-track"]');
  var soundButton = root.querySelector('[data-role="sound"]');
  var eyesClosed = root.querySelector('[data-role="eyes-closed"]');
  var afterLink = root.querySelector('[data-role="after"]');
  var beforeForm = root.querySelector('[data-role="before"]');
  // An eyes-closed session starts with the screen dimmed; the sound needs the patient's own press to start.
  stage.classList.toggle("nfb-eyes-closed", eyesClosed.checked);

  var phase = "planned";
  var target = 0;      // 0..1 from the server
  var shown = 0;       // what the circle shows now
  var glow = 0;        // reward halo, 0..1
  var rewarded = false;
  var last = performance.now();

  function say(state) {
    var text = root.getAttribute("data-text-" + state);
    if (text) { stateText.textContent = text; }
    phase = state;
    root.setAttribute("data-phase", state);
    var quiet = state !== "feedback";
    orb.setAttribute("fill-opacity", state === "paused" ? "0.35" : "0.9");
    if (quiet) { target = 0; rewarded = false; }
    track.setAttribute("opacity", state === "baseline" ? "1" : "0");
    progress.setAttribute("opacity", state === "baseline" ? "1" : "0");
    // Pain before the session is asked until it starts; the questions after it, once it has ended.
    if (beforeForm && (state === "baseline" || state === "feedback" || state === "ended")) { beforeForm.hidden = true; }
    if (afterLink && state === "ended") { afterLink.hidden = false; }
    updateSound();
  }

  // -- sound: a soft fifth whose upper voice and loudness follow the feedback
  var audio = null;
  var soundOn = false;
  function startAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    var ctx = new Context();
    var master = ctx.createGain();
    master.gain.value = 0;
    master.connect(ctx.destination);
    var low = ctx.createOscillator();
    low.type = "sine";
    low.frequency.value = 196;
    var lowGain = ctx.createGain();
    lowGain.gain.value = 0.6;
    low.connect(lowGain);
    lowGain.connect(master);
    var high = ctx.createOscillator();
    high.type = "sine";
    high.frequency.value = 293.66;
    var highGain = ctx.createGain();
    highGain.gain.value = 0;
    high.connect(highGain);
    highGain.connect(master);
    low.start();
    high.start();
    return { ctx: ctx, master: master, highGain: highGain, high: high };
  }
  function updateSound() {
    if (!audio) { return; }
    var now = audio.ctx.currentTime;
    var active = soundOn && phase === "feedback";
    audio.master.gain.setTargetAtTime(active ? 0.05 + 0.2 * shown : 0, now, 0.15);
    audio.highGain.gain.setTargetAtTime(active ? shown : 0, now, 0.15);
    audio.high.frequency.setTargetAtTime(293.66 * (1 + 0.06 * shown), now, 0.2);
  }
  soundButton.addEventListener("click", function () {
    if (!audio) { audio = startAudio(); }
    if (audio && audio.ctx.state === "suspended") { audio.ctx.resume(); }
    soundOn = !soundOn;
    soundButton.textContent = root.getAttribute(soundOn ? "data-sound-off" : "data-sound-on");
    soundButton.setAttribute("aria-pressed", soundOn ? "true" : "false");
    updateSound();
  });
  eyesClosed.addEventListener("change", function () {
    stage.classList.toggle("nfb-eyes-closed", eyesClosed.checked);
    if (eyesClosed.checked && !soundOn) { soundButton.click(); }
  });

  // -- the circle
  function frame(now) {
    var dt = Math.min(0.1, (now - last) / 1000);
    last = now;
    shown += (target - shown) * (1 - Math.exp(-dt / 0.35));
    glow += ((rewarded ? 1 : 0) - glow) * (1 - Math.exp(-dt / 0.25));
    orb.setAttribute("r", (40 + 110 * shown).toFixed(2));
    halo.setAttribute("opacity", (0.85 * glow).toFixed(3));
    root.setAttribute("data-shown", shown.toFixed(3));
    updateSound();
    window.requestAnimationFrame(frame);
  }
  window.requestAnimationFrame(frame);

  if (root.getAttribute("data-ended") === "true") { say("ended"); return; }

  new window.PainRewireLive.LiveSocket(root.getAttribute("data-ws"), {
    message: function (m) {
      if (m.type === "hello") {
        var map = { planned: "planned", checking: "checking", running: "feedback", completed: "ended", aborted: "ended" };
        say(map[m.status] || "planned");
      } else if (m.type === "state") {
        say(m.state);
      } else if (m.type === "feedback") {
        if (m.phase === "baseline") {
          if (phase !== "baseline") { say("baseline"); }
          progress.setAttribute("width", (200 * (m.progress || 0)).toFixed(1));
        } else {
          if (phase !== "feedback") { say("feedback"); }
          target = Math.max(0, Math.min(1, m.value));
          rewarded = !!m.reward;
        }
      }
    },
    refused: function (reason) { stateText.textContent = reason; },
    lost: function () { target = 0; }
  });
})();
