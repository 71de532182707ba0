// Practice audio uploads: say at once when a file is too large, instead of sending 20 MiB to be refused.
(function () {
  "use strict";
  document.querySelectorAll("form.upload[data-max-bytes]").forEach(function (form) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    var input = form.querySelector('input[type="file"]');
    var message = form.querySelector(".upload-error");
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (file && file.size > limit) {
        event.preventDefault();
        message.textContent = "This recording is " + (file.size / 1048576).toFixed(1) + " MiB; at most " +
          (limit / 1048576) + " MiB can be attached.";
        message.hidden = false;
      }
    });
  });
})();
