// The progress bar of an issue that is sending: asks the server every few seconds and
// updates the bar and the counts. Without this file the page's Refresh link does the same.
(function () {
  "use strict";
  var EVERY_MS = 3000;
  var box = document.getElementById("progress");
  if (!box) {
    return;
  }
  var bar = document.getElementById("progress-bar");

  function show(done) {
    bar.max = done.total || 1;
    bar.value = done.sent + done.failed;
    bar.textContent = done.percent + "%";
    ["sent", "queued", "failed", "total", "percent"].forEach(function (name) {
      var field = box.querySelector("[data-field=" + name + "]");
      if (field) {
        field.textContent = Number(done[name]).toLocaleString("en-US");
      }
    });
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (done) {
        if (!done) {
          return; // logged out or offline: the Refresh link still works
        }
        show(done);
        if (done.status === "sending") {
          setTimeout(poll, EVERY_MS);
        } else {
          window.location.reload(); // sent or stopped: the page shows the results
        }
      })
      .catch(function () {});
  }

  setTimeout(poll, EVERY_MS);
}());
