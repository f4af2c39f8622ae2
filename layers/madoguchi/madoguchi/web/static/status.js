// Status page: reads the access key from the URL fragment (never sent to a server)
// or from the form, and shows the application's status and history.
"use strict";
(function () {
  const view = document.getElementById("status-view");
  if (!view) return;
  const locale = view.dataset.locale;
  const form = document.getElementById("status-form");
  const result = document.getElementById("status-result");
  const error = document.getElementById("status-error");

  function formatTime(iso) {
    return new Date(iso).toLocaleString(locale === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" });
  }

  async function show(reference, token) {
    error.hidden = true;
    let response;
    try {
      response = await fetch("/api/applications/" + encodeURIComponent(reference), {
        headers: { Authorization: "Bearer " + token },
      });
    } catch (e) {
      error.hidden = false;
      return;
    }
    if (!response.ok) {
      result.hidden = true;
      error.hidden = false;
      return;
    }
    const data = await response.json();
    document.getElementById("status-procedure").textContent = data.procedure_title[locale] || data.procedure_title.ja;
    document.getElementById("status-reference").textContent = data.reference_number;
    document.getElementById("status-label").textContent = data.status_label[locale] || data.status_label.ja;
    document.getElementById("status-submitted").textContent = formatTime(data.submitted_at);
    const history = document.getElementById("status-history");
    history.replaceChildren();
    for (const entry of data.history) {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = formatTime(entry.at);
      item.append(time, " " + (entry.label[locale] || entry.label.ja));
      if (entry.comment) item.append("：" + entry.comment);
      history.appendChild(item);
    }
    showPayment(data.payment, data.reference_number, token);
    result.hidden = false;
    form.hidden = true;
  }

  // Fee payment: state, a pay button while a checkout session is open, a receipt link once paid.
  function showPayment(payment, reference, token) {
    const section = document.getElementById("status-payment");
    if (!payment) {
      section.hidden = true;
      return;
    }
    const amount = payment.amount;
    document.getElementById("status-payment-amount").textContent =
      locale === "ja" ? amount.toLocaleString("ja-JP") + "円" : "¥" + amount.toLocaleString("en-US");
    document.getElementById("status-payment-state").textContent = payment.state_label[locale] || payment.state_label.ja;
    const pay = document.getElementById("status-pay");
    pay.hidden = !payment.checkout_url;
    if (payment.checkout_url) pay.href = payment.checkout_url;
    const receipt = document.getElementById("status-receipt");
    receipt.hidden = !payment.receipt_available;
    if (payment.receipt_available) {
      receipt.href = "/status/" + encodeURIComponent(reference) + "/receipt?lang=" + locale + "#token=" + encodeURIComponent(token);
    }
    section.hidden = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(document.getElementById("reference-input").value.trim(), document.getElementById("token-input").value.trim());
  });

  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const reference = document.getElementById("reference-input").value;
  if (reference && fragment.get("token")) {
    show(reference, fragment.get("token"));
  }
})();
