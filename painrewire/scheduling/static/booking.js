// Booking: offer times in the visitor's own time zone, and select a calendar address when it gets focus.
(function () {
  "use strict";
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }

  // A time-zone field the page filled with the clinic's zone gets the browser's zone when the URL named none.
  var params = new URLSearchParams(window.location.search);
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (browserZone && !params.get("tz") && input.form && input.form.method === "post") {
      input.value = browserZone;
    }
  });

  // On the times page, offer to show the times in the browser's zone when it differs from the one shown.
  var note = document.querySelector(".zone-note[data-zone]");
  if (note && browserZone && note.getAttribute("data-zone") !== browserZone) {
    var link = document.createElement("a");
    params.set("tz", browserZone);
    link.href = window.location.pathname + "?" + params.toString();
    link.textContent = "Show times in " + browserZone + " time";
    note.appendChild(document.createTextNode(" "));
    note.appendChild(link);
  }

  // Links to the next step keep the browser's zone when the visitor has not chosen one.
  if (browserZone && !params.get("tz")) {
    document.querySelectorAll("a[data-keep-tz]").forEach(function (a) {
      var url = new URL(a.href, window.location.href);
      url.searchParams.set("tz", browserZone);
      a.href = url.pathname + "?" + url.searchParams.toString();
    });
  }

  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
