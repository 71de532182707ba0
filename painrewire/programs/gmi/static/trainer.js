// Left/right judgement trainer. Configuration comes from data- attributes (the CSP forbids inline scripts).
//
// Timing: every time below is on the performance.now() clock (the document's time origin), the clock that
// requestAnimationFrame timestamps and event.timeStamp also use in Chromium. A picture's onset is the
// timestamp of the animation frame that first paints it: the picture is decoded first (img.decode()), then
// put on the page inside a requestAnimationFrame callback, whose timestamp is the start of the very frame
// that renders the change. The reaction time is the key or touch event's own timeStamp minus that onset,
// so neither the time the code took to react nor event-queue delays count against the patient.
(function () {
  "use strict";
  var root = document.getElementById("gmi-trainer");
  if (!root) { return; }

  var FIXATION_MS = 500;        // the cross before each picture ...
  var FIXATION_JITTER_MS = 300; // ... plus up to this much, so the onset cannot be anticipated
  var FEEDBACK_MS = 900;        // practice pictures: how long "right"/"not quite" stays
  var METHOD = "decode+raf";

  var part = function (name) { return root.querySelector('[data-role="' + name + '"]'); };
  var intro = part("intro"), run = part("run"), done = part("done");
  var stage = part("stage"), fixation = part("fixation"), progress = part("progress");
  var feedback = part("feedback"), status = part("status"), retry = part("retry");
  var startButton = part("start"), trialsSelect = part("trials");

  var block = null;        // the server's plan
  var pictures = [];       // decoded Image objects, by plan position
  var results = [];        // what is sent back
  var frameMs = null;      // measured frame interval
  var current = null;      // {trial, onset, timer, done}
  var stopped = false;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute("content")) { return meta.getAttribute("content"); }
    var match = document.cookie.match(/(?:^|;\s*)pr_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var detail = data && data.detail;
          if (Array.isArray(detail)) { detail = detail.map(function (d) { return d.msg || d; }).join(" "); }
          throw new Error(detail || "The clinic's server did not accept this (" + response.status + ").");
        }
        return data;
      });
    }, function () { throw new Error("The clinic's server could not be reached. Check your connection."); });
  }

  function measureFrames(count) {
    return new Promise(function (resolve) {
      var stamps = [];
      function tick(ts) {
        stamps.push(ts);
        if (stamps.length > count) {
          var gaps = [];
          for (var i = 1; i < stamps.length; i++) { gaps.push(stamps[i] - stamps[i - 1]); }
          gaps.sort(function (a, b) { return a - b; });
          resolve(Math.round(gaps[Math.floor(gaps.length / 2)] * 100) / 100);
        } else {
          requestAnimationFrame(tick);
        }
      }
      requestAnimationFrame(tick);
    });
  }

  function preload(plan) {
    var loaded = 0;
    return Promise.all(plan.map(function (t, i) {
      var img = new Image();
      img.alt = "A person standing with the upper body turned or bent";
      img.className = "gmi-picture";
      img.decoding = "async";
      img.src = t.image_url;
      pictures[i] = img;
      return img.decode().then(function () {
        loaded += 1;
        progress.textContent = "Loading pictures… " + loaded + " of " + plan.length;
      });
    }));
  }

  function showFixation() {
    stage.replaceChildren(fixation);
    fixation.hidden = false;
  }

  function begin() {
    startButton.disabled = true;
    var trials = parseInt(trialsSelect ? trialsSelect.value : "", 10) || null;
    intro.hidden = true;
    run.hidden = false;
    root.scrollIntoView({ block: "start" }); // the picture and both answer buttons on screen together
    progress.textContent = "Getting the pictures ready…";
    api(root.getAttribute("data-start-url"), { trials: trials }).then(function (data) {
      block = data;
      root.setAttribute("data-block-id", data.id);
      return Promise.all([preload(data.plan), measureFrames(20)]);
    }).then(function (found) {
      frameMs = found[1];
      results = [];
      next(0);
    }).catch(function (error) { fail(error.message); });
  }

  function next(position) {
    if (stopped) { return; }
    if (position >= block.plan.length) { finish(); return; }
    var trial = block.plan[position];
    var scored = block.plan.filter(function (t) { return !t.is_practice; });
    progress.textContent = trial.is_practice
      ? "Practice picture " + (position + 1) + " of " + block.practice_trials
      : "Picture " + (scored.indexOf(trial) + 1) + " of " + scored.length;
    feedback.textContent = "";
    showFixation();
    var wait = FIXATION_MS + Math.random() * FIXATION_JITTER_MS;
    setTimeout(function () { present(position); }, wait);
  }

  function present(position) {
    if (stopped) { return; }
    var trial = block.plan[position];
    var img = pictures[position];
    img.setAttribute("data-index", String(trial.index));
    // decoded already when preloaded; decode() again makes sure the bitmap is ready before it goes on screen
    img.decode().catch(function () { return null; }).then(function () {
      requestAnimationFrame(function (frameTime) {
        if (stopped) { return; }
        stage.replaceChildren(img); // rendered in this very frame
        current = { position: position, trial: trial, onset: frameTime, done: false, timer: null };
        var left = block.timeout_ms - (performance.now() - frameTime);
        current.timer = setTimeout(timeOut, Math.max(0, left));
        root.setAttribute("data-showing", String(trial.index));
      });
    });
  }

  function record(answer, eventTime) {
    if (!current || current.done) { return; }
    var rt = eventTime - current.onset;
    if (!(rt > 0)) { return; } // an event from before the picture was painted is not an answer to it
    settle({ index: current.trial.index, stimulus_id: current.trial.stimulus_id, answer: answer,
      rt_ms: Math.round(rt * 100) / 100, timed_out: false }, answer);
  }

  function timeOut() {
    if (!current || current.done) { return; }
    settle({ index: current.trial.index, stimulus_id: current.trial.stimulus_id, answer: null,
      rt_ms: null, timed_out: true }, null);
  }

  function settle(result, answer) {
    var trial = current.trial, position = current.position;
    current.done = true;
    clearTimeout(current.timer);
    current = null;
    root.removeAttribute("data-showing");
    results.push(result);
    showFixation();
    fixation.hidden = true;
    var pause = 200;
    if (trial.is_practice) {
      pause = FEEDBACK_MS;
      if (answer === null) { feedback.textContent = "Too slow this time: the picture moved to their " + trial.side + "."; }
      else if (answer === trial.side) { feedback.textContent = "Right: they moved to their " + trial.side + "."; }
      else { feedback.textContent = "Not quite: they moved to their " + trial.side + ". Imagine being them."; }
    }
    setTimeout(function () { next(position + 1); }, pause);
  }

  function finish() {
    run.hidden = true;
    done.hidden = false;
    send();
  }

  function send() {
    status.textContent = "Saving your answers…";
    retry.hidden = true;
    var body = { trials: results, timing: { method: METHOD, frame_ms: frameMs, clock: "performance.now" } };
    api(block.results_url, body).then(function (data) {
      root.setAttribute("data-finished", data.block.id);
      status.textContent = "Saved.";
      window.location.assign(root.getAttribute("data-result-url") + data.block.id);
    }).catch(function (error) {
      status.textContent = error.message;
      retry.hidden = false;
    });
  }

  function fail(message) {
    stopped = true;
    run.hidden = true;
    done.hidden = false;
    status.textContent = message;
  }

  document.addEventListener("keydown", function (event) {
    if (!current || event.repeat) { return; }
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      record(event.key === "ArrowLeft" ? "left" : "right", event.timeStamp);
    }
  });
  root.querySelectorAll("[data-answer]").forEach(function (button) {
    button.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      record(button.getAttribute("data-answer"), event.timeStamp);
    });
    button.addEventListener("click", function (event) {
      if (event.detail === 0) { record(button.getAttribute("data-answer"), event.timeStamp); } // Enter or Space
    });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && block && !run.hidden) {
      fail("The block stopped because the page went out of view, so the timing would not be fair. Please start a new block.");
    }
  });
  startButton.addEventListener("click", begin);
  retry.addEventListener("click", send);
})();
