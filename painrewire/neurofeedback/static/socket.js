// A WebSocket to a live session that reconnects by itself (with growing waits) when the network drops,
// and stops for good when the server refuses it (1008: not allowed) or the session has ended.
(function () {
  "use strict";

  function LiveSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers || {};
    this.wait = 500;
    this.finished = false;
    this.socket = null;
    this.connect();
  }

  LiveSocket.prototype.url = function () {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + this.path;
  };

  LiveSocket.prototype.connect = function () {
    var self = this;
    var socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = function () {
      self.wait = 500;
      if (self.handlers.open) { self.handlers.open(); }
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "ended" || (message.type === "state" && message.state === "ended")) {
        self.finished = true;
      }
      if (message.type === "hello" && message.status !== "planned" && message.status !== "checking" &&
          message.status !== "running") {
        self.finished = true;
      }
      if (self.handlers.message) { self.handlers.message(message); }
    };
    socket.onclose = function (event) {
      if (event.code === 1008) {
        self.finished = true;
        if (self.handlers.refused) { self.handlers.refused(event.reason || "Not allowed."); }
        return;
      }
      if (self.finished) { return; }
      if (self.handlers.lost) { self.handlers.lost(); }
      window.setTimeout(function () { self.connect(); }, self.wait);
      self.wait = Math.min(self.wait * 2, 10000);
    };
  };

  LiveSocket.prototype.close = function () {
    this.finished = true;
    if (this.socket) { this.socket.close(1000); }
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // POST/PUT JSON with the session cookie and the CSRF header; resolves to {ok, status, body}.
  function sendJSON(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, body: data };
      });
    });
  }

  function detailOf(body) {
    if (!body) { return "Something went wrong."; }
    var detail = body.detail;
    if (Array.isArray(detail)) { return detail.join(" "); }
    return detail || "Something went wrong.";
  }

  window.PainRewireLive = { LiveSocket: LiveSocket, sendJSON: sendJSON, detailOf: detailOf };
})();
