// The practitioner's live console: state and connection, the signal check with start / override, feedback,
// band powers, raw traces and signal quality per channel, alarms, notes and controls.
(function () {
  "use strict";
  var root = document.getElementById("nfb-console");
  if (!root || !window.PainRewireLive) { return; }
  var Live = window.PainRewireLive;
  var api = root.getAttribute("data-api");
  function $(role) { return root.querySelector('[data-role="' + role + '"]'); }

  var message = $("message");
  function tell(text, kind) {
    message.textContent = text;
    message.className = "alert " + (kind || "warn");
    message.hidden = !text;
  }
  function pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; }
  function ms(x) { return x === null || x === undefined ? "—" : x.toFixed(1) + " ms"; }
  function clock(s) {
    s = Math.max(0, Math.round(s));
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  // -- status
  var stateLabels = {
    created: "starting", checking: "checking the signal", ready: "signal checked: ready to start",
    training: "training", stopped: "ended"
  };
  var trainingStarted = false;
  function onStatus(m) {
    var text = stateLabels[m.state] || m.state;
    if (m.state === "training" && m.phase) {
      text += " · " + (m.phase === "baseline" ? "eyes-" + (root.getAttribute("data-eyes") || "open") + " baseline" : "feedback");
    }
    $("state").textContent = text;
    if (m.source_description) {
      $("source").textContent = m.source_description + (m.source === "reconnecting" ? " — reconnecting…" : "");
    }
    var loss = $("loss");
    var labels = { ok: "receiving", notice: "some samples lost", alarm: "NO DATA" };
    loss.textContent = labels[m.loss] || m.loss;
    loss.className = "badge " + (m.loss === "ok" ? "ok" : m.loss === "notice" ? "warn" : "danger");
    $("lost").textContent = m.lost_samples + " samples lost" + (m.reconnects ? " · reconnected " + m.reconnects + "×" : "");
    $("alarm").hidden = !m.paused;
    $("time").textContent = m.state === "training" ? clock(m.training_seconds) + " of " + clock(m.planned_seconds) :
      clock(m.recorded_seconds) + " recorded";
    $("reward").textContent = pct(m.reward_rate) + " (target " + pct(m.target_reward_rate) + ")" +
      (m.inhibited_share !== null && m.inhibited_share !== undefined ? " · withheld by an inhibit " + pct(m.inhibited_share) : "") +
      (m.bad_share !== null && m.bad_share !== undefined ? " · bad signal " + pct(m.bad_share) : "");
    $("latency").textContent = "median " + ms(m.latency_p50_ms) + ", p99 " + ms(m.latency_p99_ms);
    if (m.state === "ready" && !trainingStarted) { $("begin-form").hidden = false; }
    if (m.state === "training") {
      trainingStarted = true;
      $("begin-form").hidden = true;
      $("check-intro").textContent = "Training has started.";
    }
    if (m.state === "checking") { $("begin-form").hidden = true; }
  }

  // -- signal check
  function onCheck(check) {
    if (!check) { return; }
    var body = $("check-table").querySelector("tbody");
    body.textContent = "";
    var protocol = (check.protocol_channels || []).map(function (c) { return c.toLowerCase(); });
    check.channels.forEach(function (c) {
      var tr = document.createElement("tr");
      if (protocol.indexOf(c.channel.toLowerCase()) >= 0) { tr.className = "nfb-protocol"; }
      var cells = [
        c.channel + (protocol.indexOf(c.channel.toLowerCase()) >= 0 ? " (trained)" : ""),
        c.passed ? "pass" : "FAIL: " + c.reasons.join(", "),
        c.ptp_uv.toFixed(1) + " µV",
        c.line_noise_ratio === null ? "—" : c.line_noise_ratio.toFixed(2)
      ];
      cells.forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 1) { td.className = c.passed ? "nfb-pass" : "nfb-fail"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $("check-table").hidden = false;
    $("check-intro").textContent = "Signal check of " + check.seconds.toFixed(0) + " s.";
    var passed = check.protocol_passed;
    $("check-verdict").textContent = passed ?
      (check.passed ? "Every channel passed." : "The trained channels passed (others failed, which does not affect the feedback).") :
      "A trained channel failed. Fix the electrode and check again, or give a reason to proceed.";
    $("override").hidden = passed;
    $("override-note").required = !passed;
    if (!trainingStarted) { $("begin-form").hidden = false; }
  }

  $("begin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    Live.sendJSON("POST", api + "/begin", { override_note: $("override-note").value }).then(function (r) {
      if (r.ok) { tell(""); trainingStarted = true; $("begin-form").hidden = true; return; }
      tell(Live.detailOf(r.body), "error");
      if (r.status === 422) { $("override").hidden = false; $("override-note").required = true; }
    });
  });
  $("recheck").addEventListener("click", function () {
    Live.sendJSON("POST", api + "/recheck").then(function (r) {
      if (!r.ok) { tell(Live.detailOf(r.body), "error"); return; }
      $("begin-form").hidden = true;
      $("check-table").hidden = true;
      $("check-intro").textContent = "Checking the signal again…";
    });
  });

  // -- feedback and band powers
  var meter = $("meter");
  function onHop(m) {
    meter.setAttribute("width", (300 * m.feedback).toFixed(1));
    meter.setAttribute("fill", m.bad ? "#a61b1b" : m.reward ? "#1d6b3a" : "#2f6f73");
    var text = m.phase === "baseline" ? "Baseline " + Math.round(100 * m.baseline_progress) + "%" : "Feedback";
    if (m.metric !== null && m.metric !== undefined) { text += " · metric " + m.metric.toPrecision(3); }
    if (m.threshold !== null && m.threshold !== undefined) { text += " / threshold " + m.threshold.toPrecision(3); }
    text += m.reward ? " · REWARD" : "";
    if (m.inhibited) { text += " · WITHHELD by an inhibit"; }
    if (m.bad) { text += " · bad window: " + m.reasons.join(", "); }
    if (m.recent_reward_rate !== null) { text += " · last minute " + pct(m.recent_reward_rate); }
    $("metric").textContent = text;
    drawInhibits(m);
    drawBands(m);
  }
  // Each inhibit band: its power now against the threshold the baseline set, and whether it is over.
  function drawInhibits(m) {
    var holder = $("inhibits");
    if (!holder) { return; }
    if (m.blinded) {
      holder.textContent = "Blinded series session: the metric, threshold and inhibits are hidden until the series is unblinded.";
      return;
    }
    if (!m.inhibits || !m.inhibits.length) { holder.textContent = "No inhibit bands."; return; }
    holder.textContent = "";
    m.inhibits.forEach(function (i) {
      var item = document.createElement("span");
      var state = i.threshold === null ? "off (no baseline yet)" : i.over ? "OVER: reward withheld" : "ok";
      item.className = "badge " + (i.threshold === null ? "" : i.over ? "danger" : "ok");
      item.textContent = i.label + " · " + (i.power === null ? "—" : i.power.toPrecision(3)) +
        (i.threshold === null ? "" : " / " + i.threshold.toPrecision(3)) + " µV² · " + state;
      holder.appendChild(item);
      holder.appendChild(document.createTextNode(" "));
    });
  }
  function drawBands(m) {
    var holder = $("bands");
    var table = holder.querySelector("table");
    if (!table) {
      table = document.createElement("table");
      table.className = "table small";
      var head = document.createElement("tr");
      ["Channel"].concat(m.bands).forEach(function (b) {
        var th = document.createElement("th"); th.textContent = b; head.appendChild(th);
      });
      var thead = document.createElement("thead"); thead.appendChild(head); table.appendChild(thead);
      table.appendChild(document.createElement("tbody"));
      holder.appendChild(table);
    }
    var body = table.querySelector("tbody");
    body.textContent = "";
    m.protocol_rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var name = document.createElement("td"); name.textContent = m.channels[row]; tr.appendChild(name);
      m.power[row].forEach(function (value) {
        var td = document.createElement("td");
        td.textContent = value.toFixed(2) + " µV²";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  // -- traces and quality
  var canvas = $("traces");
  var ctx2d = canvas.getContext("2d");
  var traces = null;
  var traceRate = 64;
  var seconds = 5;
  var drawPending = false;
  function onRaw(m) {
    traceRate = m.rate;
    var keep = Math.round(seconds * m.rate);
    if (!traces || traces.length !== m.channels.length) {
      traces = m.channels.map(function () { return []; });
    }
    m.data.forEach(function (row, i) {
      var t = traces[i];
      Array.prototype.push.apply(t, row);
      if (t.length > keep) { t.splice(0, t.length - keep); }
    });
    if (m.quality) drawQuality(m.quality);  // once a second
    if (!drawPending) {
      drawPending = true;
      window.requestAnimationFrame(function () { drawPending = false; drawTraces(m.channels); });
    }
  }
  function drawTraces(names) {
    var w = canvas.width, h = canvas.height, n = traces.length;
    ctx2d.clearRect(0, 0, w, h);
    var lane = h / n;
    var keep = Math.round(seconds * traceRate);
    ctx2d.font = "11px sans-serif";
    for (var i = 0; i < n; i++) {
      var t = traces[i];
      var mid = lane * (i + 0.5);
      ctx2d.fillStyle = "#5b6776";
      ctx2d.fillText(names[i], 4, mid - lane * 0.25);
      if (t.length < 2) { continue; }
      var mean = 0;
      for (var k = 0; k < t.length; k++) { mean += t[k]; }
      mean /= t.length;
      var scale = lane / laneMicrovolts(t, mean);
      ctx2d.strokeStyle = "#1d2733";
      ctx2d.lineWidth = 1;
      ctx2d.beginPath();
      var offset = keep - t.length;
      for (var j = 0; j < t.length; j++) {
        var x = 50 + ((offset + j) / keep) * (w - 54);
        var y = mid - Math.max(-lane / 2, Math.min(lane / 2, (t[j] - mean) * scale));
        if (j === 0) { ctx2d.moveTo(x, y); } else { ctx2d.lineTo(x, y); }
      }
      ctx2d.stroke();
    }
  }
  // One lane holds the channel's spread rounded up to a readable step, so a quiet and a noisy headset both show.
  function laneMicrovolts(t, mean) {
    var spread = 0;
    for (var k = 0; k < t.length; k++) { spread = Math.max(spread, Math.abs(t[k] - mean)); }
    var steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
    for (var i = 0; i < steps.length; i++) { if (2 * spread <= steps[i]) { return steps[i]; } }
    return 10000;
  }
  function drawQuality(quality) {
    var list = $("quality");
    list.textContent = "";
    quality.forEach(function (q) {
      var li = document.createElement("li");
      li.className = "nfb-chip nfb-q-" + q.state;
      li.textContent = q.channel + " " + (q.state === "ok" ? "ok" : q.state.replace("_", " ")) +
        (q.ptp_uv !== null ? " · " + q.ptp_uv.toFixed(0) + " µV" : "");
      list.appendChild(li);
    });
  }

  // -- notes and controls
  function addNote(text, onset) {
    var li = document.createElement("li");
    li.textContent = onset.toFixed(1) + " s · " + text;
    $("notes").appendChild(li);
  }
  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("note-text");
    var text = input.value.trim();
    if (!text) { return; }
    Live.sendJSON("POST", api + "/notes", { text: text }).then(function (r) {
      if (!r.ok) { tell(Live.detailOf(r.body), "error"); return; }
      input.value = "";
    });
  });
  var target = $("target");
  target.addEventListener("input", function () { $("target-value").textContent = target.value + "%"; });
  target.addEventListener("change", function () {
    Live.sendJSON("PUT", api + "/target", { target_reward_rate: Number(target.value) / 100 }).then(function (r) {
      if (!r.ok) { tell(Live.detailOf(r.body), "error"); }
    });
  });
  $("stop-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!window.confirm("Stop the session now? The recording and summary are kept.")) { return; }
    Live.sendJSON("POST", api + "/stop").then(function (r) {
      if (!r.ok) { tell(Live.detailOf(r.body), "error"); }
    });
  });

  function onMessage(m) {
    if (m.type === "batch") { m.parts.forEach(onMessage); }
    else if (m.type === "hello") {
      if (m.signal_check) { onCheck(m.signal_check); }
      (m.notes || []).length && ($("notes").textContent = "");
      (m.notes || []).forEach(function (n) { addNote(n.text, n.onset); });
      if (m.status === "running") { trainingStarted = true; $("begin-form").hidden = true; }
      if (m.status === "completed" || m.status === "aborted") { window.location.href = root.getAttribute("data-review"); }
    } else if (m.type === "status") { onStatus(m); }
    else if (m.type === "check") { onCheck(m); }
    else if (m.type === "hop") { onHop(m); }
    else if (m.type === "raw") { onRaw(m); }
    else if (m.type === "alarm") { $("alarm").hidden = false; }
    else if (m.type === "resumed") { $("alarm").hidden = true; tell("Data is arriving again; feedback resumed."); }
    else if (m.type === "lost") { tell(m.samples + " samples lost (" + m.total + " in this session); they are marked in the recording."); }
    else if (m.type === "note") { addNote(m.text, m.onset); }
    else if (m.type === "ended") {
      tell("The session has ended: " + m.reason + " Opening the review…", m.status === "completed" ? "ok" : "warn");
      window.setTimeout(function () { window.location.href = root.getAttribute("data-review"); }, 2500);
    }
  }

  new Live.LiveSocket(root.getAttribute("data-ws"), {
    open: function () { tell(""); },
    message: onMessage,
    refused: function (reason) { tell(reason, "error"); },
    lost: function () { tell("Connection to the server lost; reconnecting… (the session carries on)"); }
  });
})();
