// Guided somatic tracking: before-ratings, then timed steps one at a time, then after-ratings.
// Without JavaScript the page shows every step and both sets of ratings in one form; this script only
// sequences them and measures the time actually spent, which it puts in the hidden "seconds" field.
(function () {
  "use strict";
  var root = document.querySelector("[data-somatic]");
  if (!root) { return; }
  var form = root.querySelector("form");
  var phases = {
    before: root.querySelector('[data-phase="before"]'),
    steps: root.querySelector('[data-phase="steps"]'),
    after: root.querySelector('[data-phase="after"]')
  };
  var steps = Array.prototype.slice.call(root.querySelectorAll("[data-step]"));
  var timer = root.querySelector("[data-timer]");
  var bar = root.querySelector("[data-progress]");
  var startButton = root.querySelector("[data-start]");
  var nextButton = root.querySelector("[data-next]");
  var pauseButton = root.querySelector("[data-pause]");
  var secondsField = root.querySelector("[data-seconds]");
  if (!form || !phases.before || !phases.steps || !phases.after || !steps.length || !startButton) { return; }

  var current = -1;
  var stepLeftMs = 0;
  var activeMs = 0;
  var lastTick = null;
  var paused = false;
  var ticking = null;

  root.classList.add("js");
  show("before");

  function show(name) {
    Object.keys(phases).forEach(function (key) {
      phases[key].hidden = key !== name;
    });
  }

  function chosen(name) {
    return form.querySelector('input[name="' + name + '"]:checked') !== null;
  }

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function say(text) {
    if (timer) { timer.textContent = text; }
  }

  function goTo(index) {
    steps.forEach(function (step, i) {
      step.hidden = i !== index;
      step.classList.toggle("active", i === index);
    });
    current = index;
    if (index >= steps.length) {
      finish();
      return;
    }
    stepLeftMs = parseInt(steps[index].getAttribute("data-step-seconds"), 10) * 1000;
    nextButton.textContent = index === steps.length - 1 ? "Finish" : "Next step";
    if (bar) {
      bar.max = steps.length;
      bar.value = index;
    }
    var heading = steps[index].querySelector("h3");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    update();
  }

  function update() {
    var title = steps[current].querySelector("h3");
    var name = title ? title.firstChild.textContent.trim() : "";
    say("Step " + (current + 1) + " of " + steps.length + " · " + name + " · " + format(stepLeftMs) + (paused ? " (paused)" : ""));
  }

  function tick() {
    var now = performance.now();
    if (lastTick !== null && !paused) {
      var delta = now - lastTick;
      activeMs += delta;
      stepLeftMs -= delta;
      if (stepLeftMs <= 0) {
        goTo(current + 1);
        lastTick = now;
        return;
      }
    }
    lastTick = now;
    if (current >= 0 && current < steps.length) { update(); }
  }

  function finish() {
    if (ticking !== null) { window.clearInterval(ticking); ticking = null; }
    secondsField.value = String(Math.max(1, Math.round(activeMs / 1000)));
    show("after");
    var heading = phases.after.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  startButton.addEventListener("click", function () {
    if (!chosen("pain_before") || !chosen("fear_before")) {
      var note = phases.before.querySelector("[data-start-note]");
      if (!note) {
        note = document.createElement("p");
        note.className = "alert warn";
        note.setAttribute("role", "alert");
        note.setAttribute("data-start-note", "");
        phases.before.insertBefore(note, startButton);
      }
      note.textContent = "Please rate your pain and your fear first: there are no right answers.";
      return;
    }
    show("steps");
    activeMs = 0;
    lastTick = performance.now();
    goTo(0);
    ticking = window.setInterval(tick, 250);
  });

  nextButton.addEventListener("click", function () {
    tick();
    goTo(current + 1);
  });

  pauseButton.addEventListener("click", function () {
    tick();
    paused = !paused;
    pauseButton.textContent = paused ? "Carry on" : "Pause";
    update();
  });
})();
