// Application form: conditional fields, postal-code lookup, server-side check,
// confirmation screen (確認画面), submission and completion.
"use strict";
(function () {
  const form = document.getElementById("application-form");
  if (!form) return;
  const messages = JSON.parse(document.getElementById("page-messages").textContent);
  const conditions = JSON.parse(document.getElementById("field-conditions").textContent);
  const procedureId = form.dataset.procedureId;
  const locale = form.dataset.locale;
  const summary = document.getElementById("error-summary");
  const confirmation = document.getElementById("confirmation");
  const completion = document.getElementById("completion");
  let idempotencyKey = null;
  let checkedAnswers = null;

  function wrappers() {
    return Array.from(form.querySelectorAll(".field[data-field]"));
  }

  function readField(wrapper) {
    const name = wrapper.dataset.field;
    const type = wrapper.dataset.type;
    if (type === "file") {
      // uploads.js keeps the ids of the field's uploaded files here.
      const ids = (wrapper.dataset.uploadIds || "").split(" ").filter(Boolean);
      return ids.length ? ids : undefined;
    }
    if (type === "single_choice") {
      const checked = wrapper.querySelector("input:checked");
      return checked ? checked.value : undefined;
    }
    if (type === "multiple_choice") {
      const values = Array.from(wrapper.querySelectorAll("input:checked")).map((i) => i.value);
      return values.length ? values : undefined;
    }
    if (type === "consent") {
      return wrapper.querySelector("input").checked ? true : undefined;
    }
    const input = wrapper.querySelector("[name='" + name + "']");
    const value = input.value;
    if (value.trim() === "") return undefined;
    if (type === "number" && /^[0-9０-９]+$/.test(value.trim())) {
      return parseInt(value.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)), 10);
    }
    return value;
  }

  function collectAnswers(includeHidden) {
    const answers = {};
    for (const wrapper of wrappers()) {
      if (wrapper.hidden && !includeHidden) continue;
      const value = readField(wrapper);
      if (value !== undefined) answers[wrapper.dataset.field] = value;
    }
    return answers;
  }

  function matches(condition, answers) {
    const value = answers[condition.field];
    if (condition.equals !== undefined) return value === condition.equals;
    const selected = Array.isArray(value) ? value : [];
    return (condition.includes_any || []).some((item) => selected.includes(item));
  }

  function updateVisibility() {
    // Repeat so that a field depending on a hidden field is hidden too.
    for (let pass = 0; pass < 3; pass++) {
      const answers = collectAnswers(false);
      for (const [fieldId, condition] of Object.entries(conditions)) {
        const wrapper = document.getElementById("field-" + fieldId + "-wrapper");
        if (wrapper) wrapper.hidden = !matches(condition, answers);
      }
    }
  }

  function clearErrors() {
    summary.hidden = true;
    summary.querySelector("ul").replaceChildren();
    for (const wrapper of wrappers()) {
      wrapper.classList.remove("field-invalid");
      const message = wrapper.querySelector(".error-message");
      message.hidden = true;
      message.textContent = "";
      for (const input of wrapper.querySelectorAll("input, textarea")) input.removeAttribute("aria-invalid");
    }
  }

  function showErrors(errors) {
    clearErrors();
    const list = summary.querySelector("ul");
    for (const error of errors) {
      const text = error[locale] || error.ja;
      const wrapper = document.getElementById("field-" + error.field + "-wrapper");
      const item = document.createElement("li");
      if (wrapper) {
        wrapper.classList.add("field-invalid");
        const message = wrapper.querySelector(".error-message");
        message.textContent = text;
        message.hidden = false;
        const inputs = wrapper.querySelectorAll("input, textarea");
        inputs.forEach((input) => input.setAttribute("aria-invalid", "true"));
        const label = wrapper.querySelector(".label");
        const link = document.createElement("a");
        const target = inputs[0];
        if (target && !target.id) target.id = "field-" + error.field + "-input";
        link.href = "#" + (target ? target.id : wrapper.id);
        link.textContent = (label ? label.firstChild.textContent.trim() + "：" : "") + text;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          if (target) target.focus();
        });
        item.appendChild(link);
      } else {
        item.textContent = text;
      }
      list.appendChild(item);
    }
    summary.hidden = false;
    summary.focus();
  }

  function displayValue(wrapper, value) {
    const type = wrapper.dataset.type;
    if (type === "single_choice" || type === "multiple_choice") {
      const values = Array.isArray(value) ? value : [value];
      return values
        .map((v) => {
          const input = wrapper.querySelector("input[value='" + CSS.escape(v) + "']");
          return input ? input.parentElement.textContent.trim() : v;
        })
        .join(locale === "ja" ? "、" : ", ");
    }
    if (type === "consent") return messages.consent_agree;
    // Postal codes are stored as 7 digits and written as 320-8501.
    if (type === "postal_code" && /^[0-9]{7}$/.test(value)) return value.slice(0, 3) + "-" + value.slice(3);
    if (type === "file") {
      // A file answer contains upload ids, so show the names of the chosen files instead.
      const ids = Array.isArray(value) ? value : [value];
      return ids
        .map((id) => {
          const item = wrapper.querySelector(".upload-item[data-upload-id='" + CSS.escape(id) + "']");
          const name = item ? item.querySelector(".upload-name") : null;
          return name && name.textContent.trim() ? name.textContent.trim() : id;
        })
        .join(locale === "ja" ? "、" : ", ");
    }
    return String(value);
  }

  function showConfirmation(normalised, fee) {
    const list = confirmation.querySelector(".answers");
    list.replaceChildren();
    for (const wrapper of wrappers()) {
      const name = wrapper.dataset.field;
      if (wrapper.hidden || !(name in normalised)) continue;
      const label = wrapper.querySelector(".label");
      const dt = document.createElement("dt");
      dt.textContent = label ? label.firstChild.textContent.trim() : name;
      const dd = document.createElement("dd");
      dd.textContent = displayValue(wrapper, normalised[name]);
      list.append(dt, dd);
    }
    const feeLine = confirmation.querySelector(".fee-total");
    const yen = (amount) => (locale === "ja" ? amount.toLocaleString("ja-JP") + "円" : "¥" + amount.toLocaleString("en-US"));
    if (fee && (fee.amount > 0 || fee.refund_amount > 0)) {
      feeLine.textContent = messages.fee + "：" + yen(fee.amount);
      // A correction of a paid application adds what the changed fee means: a difference to pay or a refund.
      if (fee.paid_amount > 0 && fee.amount_due > 0) {
        feeLine.textContent += messages.fee_difference_due.replace("{amount}", yen(fee.amount_due));
      } else if (fee.refund_amount > 0) {
        feeLine.textContent += messages.fee_difference_refund.replace("{amount}", yen(fee.refund_amount));
      }
      feeLine.hidden = false;
    } else {
      feeLine.hidden = true;
    }
    form.hidden = true;
    confirmation.hidden = false;
    document.getElementById("confirmation-heading").focus();
    window.scrollTo(0, 0);
  }

  async function postJson(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", "Accept-Language": locale }, headers || {}),
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data: data };
  }

  function showNetworkError() {
    showErrors([{ field: "", ja: messages.network_error, en: messages.network_error }]);
  }

  form.addEventListener("change", updateVisibility);
  form.addEventListener("input", updateVisibility);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const answers = collectAnswers(false);
    // A correction is checked as a resubmission: its own files and a closed window are fine.
    const resubmitReference = form.dataset.resubmitReference;
    let result;
    try {
      if (resubmitReference) {
        result = await postJson(
          "/api/applications/" + encodeURIComponent(resubmitReference) + "/resubmissions/validation",
          { answers: answers },
          { Authorization: "Bearer " + form.dataset.resubmitToken }
        );
      } else {
        result = await postJson("/api/procedures/" + procedureId + "/validation", { answers: answers, locale: locale });
      }
    } catch (error) {
      showNetworkError();
      return;
    }
    if (result.status === 200) {
      checkedAnswers = answers;
      idempotencyKey = idempotencyKey || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
      showConfirmation(result.data.answers, result.data.fee);
    } else if (result.data.errors) {
      showErrors(result.data.errors);
    } else {
      showErrors([{ field: "", ja: (result.data.message || {}).ja || messages.network_error, en: (result.data.message || {}).en || messages.network_error }]);
    }
  });

  document.getElementById("back-to-edit").addEventListener("click", () => {
    confirmation.hidden = true;
    form.hidden = false;
    idempotencyKey = null;
    form.querySelector("input, textarea").focus();
  });

  document.getElementById("send-application").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const status = confirmation.querySelector(".sending");
    button.disabled = true;
    status.textContent = messages.submitting;
    let result;
    // Set by resubmit.js when the page corrects a returned application.
    const resubmitReference = form.dataset.resubmitReference;
    const resubmitToken = form.dataset.resubmitToken;
    try {
      if (resubmitReference) {
        result = await postJson(
          "/api/applications/" + encodeURIComponent(resubmitReference) + "/resubmissions",
          { answers: checkedAnswers },
          { Authorization: "Bearer " + resubmitToken }
        );
        if (result.status === 201) {
          result = { status: 201, data: { reference_number: resubmitReference, access_token: resubmitToken } };
        }
      } else {
        result = await postJson(
          "/api/applications",
          {
            procedure_id: procedureId, answers: checkedAnswers, locale: locale,
            // Set by identity.js after a verification; JSON.stringify drops it when undefined.
            identity_session_id: form.dataset.identitySessionId || undefined,
          },
          { "Idempotency-Key": idempotencyKey }
        );
      }
    } catch (error) {
      button.disabled = false;
      status.textContent = messages.network_error;
      return;
    }
    button.disabled = false;
    status.textContent = "";
    if (result.status === 201) {
      document.getElementById("reference-number").textContent = result.data.reference_number;
      document.getElementById("status-link").href =
        "/status/" + encodeURIComponent(result.data.reference_number) + "?lang=" + locale + "#token=" + encodeURIComponent(result.data.access_token);
      const heading = document.getElementById("completion-heading");
      if (resubmitReference) heading.textContent = heading.dataset.resubmitted;
      confirmation.hidden = true;
      completion.hidden = false;
      heading.focus();
      window.scrollTo(0, 0);
      return;
    }
    confirmation.hidden = true;
    form.hidden = false;
    if (result.data.errors) {
      showErrors(result.data.errors);
    } else {
      const message = result.data.message || {};
      showErrors([{ field: "", ja: message.ja || messages.network_error, en: message.en || messages.network_error }]);
    }
  });

  for (const button of form.querySelectorAll(".postal-lookup")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById("field-" + button.dataset.postalField);
      const target = document.getElementById("field-" + button.dataset.fills);
      const status = button.parentElement.querySelector(".postal-status");
      try {
        const response = await fetch("/api/postal-codes/" + encodeURIComponent(source.value.trim()));
        if (!response.ok) throw new Error("not found");
        const address = await response.json();
        target.value = address.address;
        status.textContent = messages.postal_filled;
        target.focus();
      } catch (error) {
        status.textContent = messages.postal_lookup_failed;
      }
    });
  }

  updateVisibility();
})();
