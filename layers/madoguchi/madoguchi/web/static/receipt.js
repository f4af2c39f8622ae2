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
  const paymentMessages = JSON.parse(document.getElementById("payment-messages").textContent);

  function formatAmount(amount) {
    return locale === "ja" ? amount.toLocaleString("ja-JP") + "円" : "¥" + amount.toLocaleString("en-US");
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleString(locale === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" });
  }

  // One receipt per payment: the fee, and each difference paid after a correction.
  function showReceipts(receipts) {
    const container = document.getElementById("receipt-payments");
    const template = document.getElementById("receipt-payment-template");
    container.replaceChildren();
    for (const receipt of receipts) {
      const section = template.content.firstElementChild.cloneNode(true);
      section.querySelector(".receipt-kind").textContent = receipt.kind_label[locale] || receipt.kind_label.ja;
      section.querySelector(".receipt-payment-amount").textContent = formatAmount(receipt.amount);
      section.querySelector(".receipt-paid-at").textContent = formatTime(receipt.paid_at);
      section.querySelector(".receipt-method").textContent = receipt.method_label[locale] || receipt.method_label.ja;
      const refund = section.querySelector(".receipt-refund");
      if (receipt.refunded) {
        refund.textContent = paymentMessages.receipt_refunded;
      } else if (receipt.refunded_amount > 0) {
        refund.textContent = paymentMessages.receipt_partly_refunded.replace("{amount}", formatAmount(receipt.refunded_amount));
      }
      refund.hidden = !refund.textContent;
      container.appendChild(section);
    }
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
    showReceipts(data.receipts);
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
