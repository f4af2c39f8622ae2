// Prefill after the My Number card check: the callback returns to the form with
// #identity=<session id>; this script reads the verified attributes, fills the
// fields, marks them 「マイナンバーカードで確認済み」 and passes the session id to
// form.js through data-identity-session-id.
(function () {
  "use strict";

  const form = document.getElementById("application-form");
  const section = document.getElementById("identity-check");
  if (!form || !section) {
    return;
  }
  const messages = JSON.parse(document.getElementById("page-messages").textContent);
  const status = document.getElementById("identity-status");
  const procedureId = section.dataset.procedureId;

  const match = /(?:^#|&)identity=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (!match) {
    return;
  }
  const sessionId = match[1];
  // Remove the id from the address bar so that it is not bookmarked or shared.
  history.replaceState(null, "", window.location.pathname + window.location.search);

  function fill(fieldId, value) {
    const input = form.querySelector('[name="' + fieldId + '"]');
    if (!input) {
      return;
    }
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    const wrapper = document.getElementById(input.id + "-wrapper") || input.closest(".field");
    if (wrapper && !wrapper.querySelector(".identity-verified")) {
      const badge = document.createElement("p");
      badge.className = "identity-verified";
      badge.textContent = messages.identity_verified_badge;
      input.insertAdjacentElement("beforebegin", badge);
    }
  }

  fetch("/api/identity/" + encodeURIComponent(sessionId) + "?procedure_id=" + encodeURIComponent(procedureId), {
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(function (view) {
      Object.keys(view.fields).forEach(function (attribute) {
        fill(view.fields[attribute], view.attributes[attribute]);
      });
      form.dataset.identitySessionId = sessionId;
      const notes = [messages.identity_prefilled];
      if (view.resident === false) {
        notes.push(messages.identity_not_resident);
      }
      status.textContent = notes.join(" ");
      document.getElementById("identity-start").hidden = true;
    })
    .catch(function (error) {
      status.textContent = error.message === "404" ? messages.identity_expired : messages.identity_failed;
    });
})();
