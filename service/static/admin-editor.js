// The live preview and checks of the lesson editor and the newsletter's compose page. The page works without this file: the
// Preview button posts the form into the preview frame, and Save shows the checks.
// Served by the app itself (no CDN) and loaded with <script src>, so a CSP without
// 'unsafe-inline' allows it.
(function () {
  "use strict";
  var WAIT_MS = 400; // debounce: refresh once typing pauses
  var form = document.querySelector("form.editor-form[data-check-url]");
  var button = document.getElementById("preview-button");
  if (!form || !button) {
    return;
  }
  var state = document.getElementById("preview-state");
  var timer = null;
  var asked = 0; // the latest checks request; older answers are dropped

  function refreshFrame() {
    // A fresh frame for each preview: the posted page replaces its blank start, so the
    // browser's Back button does not step through every keystroke.
    var old = document.getElementById("email-preview");
    var fresh = old.cloneNode(false);
    fresh.removeAttribute("src");
    old.replaceWith(fresh);
    form.requestSubmit(button);
  }

  function refreshChecks() {
    var mine = ++asked;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.redirected || response.status === 401) {
        // Sent to (or answered with) the login page: the session ended. Say so rather
        // than show that page.
        if (state) {
          state.textContent = "Your session has ended. Copy your text, then log in again.";
        }
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var panel = document.getElementById("checks");
      if (!html || mine !== asked || !panel) {
        return;
      }
      var before = panel.dataset.summary;
      panel.outerHTML = html;
      var after = document.getElementById("checks").dataset.summary;
      var status = document.getElementById("checks-status");
      if (status && after !== before) {
        // Screen readers hear the verdict when it changes, not the whole panel each pause.
        status.textContent = (form.dataset.checkName || "Lesson check") + ": " + after;
      }
    }).catch(function () {
      // Offline or logged out: the Save button still shows the checks.
    });
  }

  function refresh() {
    timer = null;
    refreshFrame();
    refreshChecks();
    if (state) {
      state.textContent = "Showing your unsaved changes.";
    }
  }

  function later() {
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(refresh, WAIT_MS);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name !== "view") {
      later();
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "view") {
      refresh();
    }
  });
}());
