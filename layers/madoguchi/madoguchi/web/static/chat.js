// Chat widget on every page: residents type a question, POST /api/chat answers it.
// The answer, its source link, the contact when the bot cannot answer, and follow-up
// questions are added to a role="log" region, so screen readers announce them.
"use strict";
(function () {
  const root = document.getElementById("chat");
  if (!root) return;
  const messages = JSON.parse(document.getElementById("chat-messages").textContent);
  const locale = root.dataset.locale;
  const toggle = document.getElementById("chat-toggle");
  const panel = document.getElementById("chat-panel");
  const closeButton = document.getElementById("chat-close");
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const inputError = document.getElementById("chat-input-error");
  let sending = false;

  function open() {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    document.body.classList.add("chat-open");
    input.focus();
  }

  function close() {
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("chat-open");
    toggle.focus();
  }

  // Only same-site paths and web addresses become links; anything else (javascript:) is dropped.
  function safeUrl(url) {
    if (typeof url !== "string" || url === "") return null;
    if (url.startsWith("/") && !url.startsWith("//")) {
      // Keep the resident's language on this site's pages.
      if (locale !== "ja" && !url.includes("?") && !url.includes("#")) return url + "?lang=" + locale;
      return url;
    }
    return /^https?:\/\//.test(url) ? url : null;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addQuestion(text) {
    const item = element("div", "chat-message chat-question");
    item.append(element("p", "chat-author", messages.you), element("p", "chat-text", text));
    log.appendChild(item);
  }

  function contactList(contact) {
    const list = element("dl", "chat-contact");
    const rows = [
      [messages.contact, contact.name, null],
      [messages.phone, contact.phone, contact.phone ? "tel:" + contact.phone.replace(/[^0-9+]/g, "") : null],
      [messages.email, contact.email, contact.email ? "mailto:" + contact.email : null],
      [messages.hours, contact.hours, null],
    ];
    for (const [label, value, href] of rows) {
      if (!value) continue;
      const dd = element("dd");
      if (href) {
        const link = element("a", null, value);
        link.href = href;
        dd.appendChild(link);
      } else {
        dd.textContent = value;
      }
      list.append(element("dt", null, label), dd);
    }
    return list;
  }

  function addAnswer(answer) {
    const item = element("div", "chat-message chat-answer");
    item.append(element("p", "chat-author", messages.bot), element("p", "chat-text", answer.text));
    const source = answer.source;
    const sourceUrl = source ? safeUrl(source.url) : null;
    if (sourceUrl) {
      const line = element("p", "chat-source", messages.source + "：");
      const link = element("a", null, source.title);
      link.href = sourceUrl;
      line.appendChild(link);
      item.appendChild(line);
    }
    if (!answer.answered && answer.contact) {
      item.appendChild(contactList(answer.contact));
    }
    const suggestions = Array.isArray(answer.suggestions) ? answer.suggestions : [];
    if (suggestions.length) {
      const group = element("div", "chat-suggestions");
      group.setAttribute("role", "group");
      const heading = element("p", "chat-suggestions-label", messages.suggestions);
      heading.id = "chat-suggestions-" + log.children.length;
      group.setAttribute("aria-labelledby", heading.id);
      group.appendChild(heading);
      for (const suggestion of suggestions) {
        const button = element("button", "button button-small chat-suggestion", suggestion);
        button.type = "button";
        button.addEventListener("click", () => {
          ask(suggestion);
          input.focus();
        });
        group.appendChild(button);
      }
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function addError() {
    log.appendChild(element("p", "chat-message chat-error", messages.error));
    log.scrollTop = log.scrollHeight;
  }

  async function ask(text) {
    if (sending) return;
    sending = true;
    addQuestion(text);
    const thinking = element("p", "chat-thinking", messages.thinking);
    log.appendChild(thinking);
    log.scrollTop = log.scrollHeight;
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": locale },
        body: JSON.stringify({ message: text, locale: locale }),
      });
      if (!response.ok) throw new Error("status " + response.status);
      const answer = await response.json();
      thinking.remove();
      addAnswer(answer);
    } catch (error) {
      thinking.remove();
      addError();
    } finally {
      sending = false;
    }
  }

  toggle.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeButton.addEventListener("click", close);
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text === "") {
      inputError.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    inputError.hidden = true;
    input.removeAttribute("aria-invalid");
    input.value = "";
    ask(text);
  });

  toggle.hidden = false;
})();
