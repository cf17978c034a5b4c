// The signup form's proof of work (SIGNUP_CHALLENGE=on): fetch a signed challenge, find the
// number whose SHA-256 with the salt matches, and put the answer in the form. Self-hosted.
(function () {
  "use strict";

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function solve(field) {
    const form = field.form;
    const button = form.querySelector("button[type=submit]");
    const status = form.querySelector(".challenge-status");
    if (button) { button.disabled = true; }
    if (status) { status.textContent = "Checking this browser…"; }
    const answer = await fetch(field.dataset.url, { credentials: "omit" });
    const task = await answer.json();
    for (let number = 0; number <= task.maxnumber; number += 1) {
      if (await sha256Hex(task.salt + number) === task.challenge) {
        field.value = btoa(JSON.stringify({
          algorithm: task.algorithm, challenge: task.challenge, number: number,
          salt: task.salt, signature: task.signature,
        }));
        break;
      }
    }
    if (button) { button.disabled = false; }
    if (status) { status.textContent = ""; }
  }

  document.querySelectorAll("input[name=altcha]").forEach((field) => { solve(field); });
}());
