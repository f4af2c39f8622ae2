// The page after Checkout: while the payment is not confirmed yet ("pending"), reload a
// few times, because the provider's webhook usually arrives within seconds.
"use strict";
(function () {
  const notice = document.querySelector("[data-payment-state]");
  if (!notice || notice.dataset.paymentState !== "pending" || notice.dataset.cancelled === "true") return;
  const url = new URL(window.location.href);
  const checks = Number(url.searchParams.get("checks") || "0");
  if (checks >= 5) return;
  url.searchParams.set("checks", String(checks + 1));
  window.setTimeout(() => window.location.replace(url.toString()), 1000 * (checks + 1));
})();
