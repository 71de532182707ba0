// Reviewing a recording: band power over the whole session (click to seek), the traces of a window drawn from
// min/max slices (so peaks survive), and every event of the recording as a place to jump to.
(function () {
  "use strict";
  var root = document.getElementById("nfb-review");
  if (!root) { return; }
  var svgNS = "http://www.w3.org/2000/svg";
  function $(role) { return root.querySelector('[data-role="' + role + '"]'); }
  var overview = $("overview");
  var canvas = $("traces");
  var ctx2d = canvas.getContext("2d");
  var seek = $("seek");
  var span = $("span");
  var position = $("position");
  var duration = 0;
  var start = 0;
  var colours = { delta: "#8a5a00", theta: "#b05f9e", alpha: "#2f6f73", smr: "#1d6b3a", beta: "#3a5ba0", gamma: "#a61b1b" };

  function el(name, attrs) {
    var node = document.createElementNS(svgNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function drawOverview(data) {
    duration = data.duration_s;
    seek.max = Math.max(0, Math.floor(duration - 1));
    $("overview-channels").textContent = "(" + data.protocol_channels.join(", ") + ", log scale)";
    var W = 1000, H = 180, top = 26, bottom = H - 18;
    overview.textContent = "";
    function x(t) { return (t / duration) * W; }
    data.annotations.forEach(function (a) {
      var kind = a.text.split(":")[0];
      var fills = { baseline: "#eef1f5", feedback: "#e9f3f2", reward: "#bfe3c9", bad: "#f2b8b8", lost_samples: "#1d2733" };
      if (!(kind in fills)) { return; }
      var y = kind === "reward" ? 0 : kind === "bad" ? 8 : kind === "lost_samples" ? 16 : top;
      var h = kind === "baseline" || kind === "feedback" ? bottom - top : 7;
      overview.appendChild(el("rect", { x: x(a.onset), y: y, width: Math.max(1, x(a.duration)), height: h, fill: fills[kind] }));
    });
    var all = [];
    Object.keys(data.band_power_uv2).forEach(function (b) {
      data.band_power_uv2[b].forEach(function (v) { if (v && v > 0) { all.push(Math.log10(v)); } });
    });
    if (all.length) {
      var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
      if (hi - lo < 1e-6) { hi = lo + 1; }
      Object.keys(data.band_power_uv2).forEach(function (b) {
        var pts = [];
        data.band_power_uv2[b].forEach(function (v, i) {
          if (v && v > 0) {
            var y = bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top);
            pts.push(x(data.times[i]).toFixed(1) + "," + y.toFixed(1));
          }
        });
        overview.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: colours[b] || "#333", "stroke-width": 1.5 }));
      });
      var lx = 6;
      Object.keys(data.band_power_uv2).forEach(function (b) {
        var t = el("text", { x: lx, y: H - 4, fill: colours[b] || "#333", "font-size": 12 });
        t.textContent = b;
        overview.appendChild(t);
        lx += 60;
      });
    }
    overview.appendChild(el("rect", { x: 0, y: 0, width: 2, height: H, fill: "#f0b429", "fill-opacity": 0.35, stroke: "#8a5a00", "data-role": "cursor" }));
    var list = $("events");
    list.textContent = "";
    data.annotations.forEach(function (a) {
      if (a.text === "reward") { return; }
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = a.onset.toFixed(1) + " s";
      button.addEventListener("click", function () { go(Math.max(0, a.onset - 1)); });
      li.appendChild(button);
      li.appendChild(document.createTextNode(" " + a.text + (a.duration ? " (" + a.duration.toFixed(1) + " s)" : "")));
      list.appendChild(li);
    });
  }

  overview.addEventListener("click", function (event) {
    var box = overview.getBoundingClientRect();
    go(((event.clientX - box.left) / box.width) * duration - Number(span.value) / 2);
  });

  var pending = null;
  function go(t) {
    var width = Number(span.value);
    start = Math.max(0, Math.min(t, Math.max(0, duration - 0.5)));
    seek.value = Math.floor(start);
    position.textContent = start.toFixed(1) + " s – " + Math.min(duration, start + width).toFixed(1) + " s of " + duration.toFixed(1) + " s";
    var cursor = overview.querySelector('[data-role="cursor"]');
    if (cursor && duration) {
      cursor.setAttribute("x", ((start / duration) * 1000).toFixed(1));
      cursor.setAttribute("width", Math.max(2, (width / duration) * 1000).toFixed(1));
    }
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var url = root.getAttribute("data-traces") + "?start=" + start.toFixed(3) + "&seconds=" + width + "&buckets=" + canvas.width;
    fetch(url, { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(drawTraces)
      .catch(function () {});
  }

  function drawTraces(data) {
    if (!data.minimum) { return; }
    var W = canvas.width, H = canvas.height, n = data.channels.length, lane = H / n;
    ctx2d.clearRect(0, 0, W, H);
    ctx2d.font = "11px sans-serif";
    var ranges = data.minimum.map(function (lows, i) {
      var sorted = lows.map(function (v, j) { return data.maximum[i][j] - v; }).sort(function (a, b) { return a - b; });
      var lo = Math.min.apply(null, lows), hi = Math.max.apply(null, data.maximum[i]);
      return Math.min(hi - lo, 6 * (sorted[Math.floor(sorted.length / 2)] || 1));
    }).sort(function (a, b) { return a - b; });
    var lane_uv = niceScale(ranges[Math.floor(ranges.length / 2)] || 100);
    var scale = lane / lane_uv;
    $("scale").textContent = "one lane = " + lane_uv + " µV";
    for (var i = 0; i < n; i++) {
      var lows = data.minimum[i], highs = data.maximum[i];
      var mid = lane * (i + 0.5);
      var mean = 0;
      for (var k = 0; k < lows.length; k++) { mean += (lows[k] + highs[k]) / 2; }
      mean /= Math.max(1, lows.length);
      ctx2d.fillStyle = "#5b6776";
      ctx2d.fillText(data.channels[i], 4, mid - lane * 0.25);
      ctx2d.strokeStyle = "#1d2733";
      ctx2d.beginPath();
      for (var j = 0; j < lows.length; j++) {
        var x = 50 + (j / lows.length) * (W - 54);
        var y1 = mid - Math.max(-lane / 2, Math.min(lane / 2, (highs[j] - mean) * scale));
        var y2 = mid - Math.max(-lane / 2, Math.min(lane / 2, (lows[j] - mean) * scale));
        ctx2d.moveTo(x, y1);
        ctx2d.lineTo(x, y2 + 0.5);
      }
      ctx2d.stroke();
    }
  }

  function niceScale(value) {
    var steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
    for (var i = 0; i < steps.length; i++) { if (value <= steps[i]) { return steps[i]; } }
    return 10000;
  }

  seek.addEventListener("change", function () { go(Number(seek.value)); });
  span.addEventListener("change", function () { go(start); });
  $("back").addEventListener("click", function () { go(start - 10); });
  $("forward").addEventListener("click", function () { go(start + 10); });

  fetch(root.getAttribute("data-overview"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) { drawOverview(data); go(0); });
})();
