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
  const pageMessages = JSON.parse(document.getElementById("page-messages").textContent);

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
      if (entry.comment) item.append((locale === "ja" ? "：" : ": ") + entry.comment);
      history.appendChild(item);
    }
    showPayment(data.payment, data.reference_number, token);
    showNotice(data.notice, token);
    showActions(data, token);
    result.hidden = false;
    form.hidden = true;
  }

  function formatYen(amount) {
    return locale === "ja" ? amount.toLocaleString("ja-JP") + "円" : "¥" + amount.toLocaleString("en-US");
  }

  // Shows a fact row (its <dt> has the id plus "-label") with a value, or hides it when value is "".
  function showFact(id, value) {
    document.getElementById(id).textContent = value;
    document.getElementById(id).hidden = !value;
    document.getElementById(id + "-label").hidden = !value;
  }

  // One line per payment: what it was for, its amount and state, and any refund.
  function showPaymentList(payment) {
    const list = document.getElementById("status-payments");
    const [separator, open, comma, close] = locale === "ja" ? ["：", "（", "、", "）"] : [": ", " (", ", ", ")"];
    list.replaceChildren();
    for (const entry of payment.payments) {
      const item = document.createElement("li");
      let text = (entry.kind_label[locale] || entry.kind_label.ja) + separator + formatYen(entry.amount) +
        open + (entry.state_label[locale] || entry.state_label.ja);
      if (entry.method_label) text += comma + (entry.method_label[locale] || entry.method_label.ja);
      if (entry.paid_at) text += comma + formatTime(entry.paid_at);
      text += close;
      if (entry.refunded_amount > 0) {
        text += comma + pageMessages.payment_refunded + separator + formatYen(entry.refunded_amount);
      }
      item.textContent = text;
      list.appendChild(item);
    }
    document.getElementById("status-payment-list").hidden = payment.payments.length < 2 && payment.refunded_amount === 0;
  }

  // Fee payment: the fee, the state, what is due after a correction, refunds, every payment,
  // a pay button while a checkout session is open and a receipt link once paid.
  function showPayment(payment, reference, token) {
    const section = document.getElementById("status-payment");
    if (!payment) {
      section.hidden = true;
      return;
    }
    document.getElementById("status-payment-amount").textContent = formatYen(payment.fee_amount);
    document.getElementById("status-payment-state").textContent = payment.state_label[locale] || payment.state_label.ja;
    // The amount due is shown only when it is a difference, not the whole fee.
    const difference = payment.amount_due > 0 && payment.amount_due !== payment.fee_amount;
    showFact("status-payment-due", difference ? formatYen(payment.amount_due) : "");
    showFact("status-payment-refunded", payment.refunded_amount > 0 ? formatYen(payment.refunded_amount) : "");
    showPaymentList(payment);
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

  // Notice PDF: fetched with the access key in the Authorization header (never in a URL),
  // then saved through a temporary object URL under the server's file name.
  let noticeToken = "";
  let noticeData = null;
  function showNotice(notice, token) {
    const section = document.getElementById("status-notice");
    noticeData = notice;
    noticeToken = token;
    section.hidden = !notice;
    if (notice) {
      document.getElementById("status-notice-title").textContent = notice.title[locale] || notice.title.ja;
    }
  }

  document.getElementById("status-notice-download").addEventListener("click", async () => {
    const failed = document.getElementById("status-notice-error");
    failed.hidden = true;
    if (!noticeData) return;
    try {
      const response = await fetch(noticeData.download_url, {
        headers: { Authorization: "Bearer " + noticeToken, Accept: "application/pdf" },
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = noticeData.file_name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      failed.hidden = false;
    }
  });

  // Statuses from which the resident may still withdraw; the server checks again.
  const WITHDRAWABLE = ["submitted", "awaiting_identity", "eligibility_review", "awaiting_payment", "under_review", "returned"];
  let actionsToken = "";

  // 「修正して再申請」 while returned, and the withdrawal button before the decision.
  function showActions(data, token) {
    const section = document.getElementById("status-actions");
    const resubmit = document.getElementById("status-resubmit");
    const withdraw = document.getElementById("status-withdraw");
    const returned = data.status === "returned";
    resubmit.hidden = !returned;
    if (returned) {
      resubmit.href = "/procedures/" + encodeURIComponent(data.procedure_id) + "?lang=" + locale +
        "&resubmit=" + encodeURIComponent(data.reference_number) + "#token=" + encodeURIComponent(token);
    }
    withdraw.hidden = !WITHDRAWABLE.includes(data.status);
    withdraw.dataset.reference = data.reference_number;
    section.hidden = resubmit.hidden && withdraw.hidden && !document.getElementById("withdraw-result").textContent;
    actionsToken = token;
  }

  const withdrawButton = document.getElementById("status-withdraw");
  const withdrawConfirm = document.getElementById("withdraw-confirm");
  const withdrawResult = document.getElementById("withdraw-result");
  withdrawButton.setAttribute("aria-controls", "withdraw-confirm");
  withdrawButton.setAttribute("aria-expanded", "false");
  withdrawButton.addEventListener("click", () => {
    withdrawConfirm.hidden = false;
    withdrawButton.setAttribute("aria-expanded", "true");
    document.getElementById("withdraw-confirm-text").focus();
  });
  document.getElementById("withdraw-no").addEventListener("click", () => {
    withdrawConfirm.hidden = true;
    withdrawButton.setAttribute("aria-expanded", "false");
    withdrawButton.focus();
  });
  document.getElementById("withdraw-yes").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const reference = withdrawButton.dataset.reference;
    button.disabled = true;
    let ok = false;
    try {
      const response = await fetch("/api/applications/" + encodeURIComponent(reference) + "/withdrawal", {
        method: "POST",
        headers: { Authorization: "Bearer " + actionsToken },
      });
      ok = response.ok;
    } catch (e) {
      ok = false;
    }
    button.disabled = false;
    withdrawConfirm.hidden = true;
    withdrawButton.setAttribute("aria-expanded", "false");
    withdrawResult.textContent = ok ? pageMessages.withdraw_done : pageMessages.withdraw_failed;
    await show(reference, actionsToken);
    withdrawResult.setAttribute("tabindex", "-1");
    withdrawResult.focus();
  });

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
