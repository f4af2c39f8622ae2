// Correction of a returned application (?resubmit=<reference>#token=<access key>):
// fills the form with the current answers and marks the form so that form.js sends
// the corrected answers as a resubmission instead of a new application.
"use strict";
(function () {
  const form = document.getElementById("application-form");
  const banner = document.getElementById("resubmit-banner");
  if (!form || !banner) return;
  const reference = new URLSearchParams(window.location.search).get("resubmit");
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (!reference || !token) return;

  banner.hidden = false;
  document.getElementById("resubmit-reference").textContent = reference;

  function fillField(wrapper, value) {
    const type = wrapper.dataset.type;
    const name = wrapper.dataset.field;
    if (type === "single_choice" || type === "multiple_choice") {
      const values = Array.isArray(value) ? value.map(String) : [String(value)];
      for (const input of wrapper.querySelectorAll("input[name='" + name + "']")) {
        input.checked = values.includes(input.value);
      }
      return;
    }
    if (type === "consent") {
      wrapper.querySelector("input").checked = value === true;
      return;
    }
    if (type === "file") {
      keepFiles(wrapper, value);
      return;
    }
    const input = wrapper.querySelector("[name='" + name + "']");
    if (input) input.value = String(value);
  }

  // The files attached before stay attached unless the resident uploads others;
  // uploads.js keeps list items that carry an accepted upload id.
  function keepFiles(wrapper, uploadIds) {
    const list = wrapper.querySelector(".upload-list");
    for (const uploadId of uploadIds) {
      const item = document.createElement("li");
      item.className = "upload-item";
      item.dataset.uploadId = uploadId;
      item.dataset.state = "accepted";
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = uploadId;
      item.appendChild(name);
      list.appendChild(item);
      fetch("/api/uploads/" + encodeURIComponent(uploadId))
        .then((response) => (response.ok ? response.json() : null))
        .then((upload) => { if (upload) name.textContent = upload.file_name; })
        .catch(() => {});
    }
    wrapper.dataset.uploadIds = uploadIds.join(" ");
  }

  async function load() {
    let response;
    try {
      response = await fetch("/api/applications/" + encodeURIComponent(reference) + "/answers", {
        headers: { Authorization: "Bearer " + token },
      });
    } catch (e) {
      response = null;
    }
    if (!response || !response.ok) {
      document.getElementById("resubmit-error").hidden = false;
      return;
    }
    const data = await response.json();
    if (data.return_comment) {
      document.getElementById("resubmit-comment-text").textContent = data.return_comment;
      document.getElementById("resubmit-comment").hidden = false;
    }
    for (const wrapper of form.querySelectorAll(".field[data-field]")) {
      const value = data.answers[wrapper.dataset.field];
      if (value !== undefined && value !== null) fillField(wrapper, value);
    }
    form.dataset.resubmitReference = reference;
    form.dataset.resubmitToken = token;
    // The application was made in time, so a window that closed since does not block it.
    const submit = form.querySelector("button[type='submit']");
    if (submit) submit.disabled = false;
    form.dispatchEvent(new Event("change"));
    document.getElementById("resubmit-heading").focus();
  }

  load();
})();
