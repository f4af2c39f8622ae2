// Receipt page: reads the access key from the URL fragment (never sent to a server)
// or from the form, and shows the receipt that the API returns for a paid fee.
"use strict";
(function () {
  const view = document.getElementById("receipt-view");
  if (!view) return;
  const locale = view.dataset.locale;
  const reference = view.dataset.reference;
  const form = document.getElementById("receipt-form");
  const result = document.getElementById("receipt-result");
  const error = document.getElementById("receipt-error");

  function formatAmount(amount) {
    return locale === "ja" ? amount.toLocaleString("ja-JP") + "円" : "¥" + amount.toLocaleString("en-US");
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleString(locale === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" });
  }

  async function show(token) {
    error.hidden = true;
    let response;
    try {
      response = await fetch("/api/applications/" + encodeURIComponent(reference) + "/receipt", {
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
    document.getElementById("receipt-procedure").textContent = data.procedure_title[locale] || data.procedure_title.ja;
    document.getElementById("receipt-reference").textContent = data.reference_number;
    document.getElementById("receipt-amount").textContent = formatAmount(data.amount);
    document.getElementById("receipt-paid-at").textContent = formatTime(data.paid_at);
    document.getElementById("receipt-method").textContent = data.method_label[locale] || data.method_label.ja;
    document.getElementById("receipt-refunded").hidden = !data.refunded;
    result.hidden = false;
    form.hidden = true;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(document.getElementById("receipt-token-input").value.trim());
  });

  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get("token")) {
    show(fragment.get("token"));
  }
})();
