// File fields: each chosen file goes straight to the uploads bucket through a presigned
// POST (XMLHttpRequest, so upload progress is shown), then the page polls the upload's
// state until the server has checked the file. form.js reads the upload ids of a field
// from data-upload-ids on its wrapper.
"use strict";
(function () {
  const form = document.getElementById("application-form");
  if (!form) return;
  const messages = JSON.parse(document.getElementById("page-messages").textContent);
  const locale = form.dataset.locale;
  const procedureId = form.dataset.procedureId;
  const POLL_INTERVAL_MS = 700;
  const POLL_LIMIT_MS = 60000;
  // Some systems give no MIME type for HEIC or PDF files; the extension decides then.
  const TYPE_BY_EXTENSION = {
    pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png",
    heic: "image/heic", heif: "image/heif",
  };

  function contentTypeOf(file) {
    if (file.type) return file.type;
    const extension = file.name.split(".").pop().toLowerCase();
    return TYPE_BY_EXTENSION[extension] || "application/octet-stream";
  }

  function localized(message) {
    return (message && (message[locale] || message.ja)) || messages.upload_failed;
  }

  function createItem(list) {
    const item = document.createElement("li");
    item.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    const status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    const actions = document.createElement("span");
    actions.className = "upload-actions";
    const replace = document.createElement("button");
    replace.type = "button";
    replace.className = "button button-small upload-replace";
    replace.textContent = messages.upload_replace;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-small upload-remove";
    remove.textContent = messages.upload_remove;
    actions.append(replace, remove);
    item.append(name, progress, status, actions);
    list.appendChild(item);
    return item;
  }

  function setState(item, state, text) {
    item.dataset.state = state;
    item.querySelector(".upload-status").textContent = text;
    item.querySelector("progress").hidden = state !== "uploading";
  }

  function updateIds(field) {
    // Uploads still being checked are sent too, so the server returns its own
    // "still being checked" error for them.
    const ids = Array.from(field.list.children)
      .filter((item) => item.dataset.uploadId && (item.dataset.state === "accepted" || item.dataset.state === "checking"))
      .map((item) => item.dataset.uploadId);
    field.wrapper.dataset.uploadIds = ids.join(" ");
    const busy = Array.from(field.list.children).some((item) => item.dataset.state === "uploading" || item.dataset.state === "checking");
    field.wrapper.dataset.uploadBusy = busy ? "true" : "false";
  }

  async function requestUpload(field, file) {
    const response = await fetch("/api/uploads", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": locale },
      body: JSON.stringify({
        procedure_id: procedureId, field_id: field.id, file_name: file.name,
        content_type: contentTypeOf(file), size: file.size,
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status !== 201) throw new UploadError(localized(data.message));
    return data;
  }

  function UploadError(text) {
    this.text = text;
  }

  function sendToBucket(item, grant, file) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      for (const [name, value] of Object.entries(grant.upload.fields)) body.append(name, value);
      body.append("file", file); // S3 ignores form fields after the file
      const request = new XMLHttpRequest();
      request.open("POST", grant.upload.url);
      request.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        const percent = Math.round((event.loaded / event.total) * 100);
        item.querySelector("progress").value = percent;
        item.querySelector(".upload-status").textContent = messages.upload_uploading + " " + percent + "%";
      });
      request.addEventListener("load", () =>
        request.status >= 200 && request.status < 300 ? resolve() : reject(new UploadError(messages.upload_failed))
      );
      request.addEventListener("error", () => reject(new UploadError(messages.upload_failed)));
      request.send(body);
    });
  }

  async function waitForCheck(uploadId) {
    const deadline = Date.now() + POLL_LIMIT_MS;
    while (Date.now() < deadline) {
      const response = await fetch("/api/uploads/" + encodeURIComponent(uploadId));
      const data = await response.json().catch(() => ({}));
      if (data.state === "accepted" || data.state === "rejected") return data;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    return { state: "checking" };
  }

  async function upload(field, item, file) {
    const attempt = (item.attempt || 0) + 1;
    item.attempt = attempt; // a replacement started meanwhile makes older results stale
    delete item.dataset.uploadId;
    item.querySelector(".upload-name").textContent = file.name;
    item.querySelector("progress").value = 0;
    setState(item, "uploading", messages.upload_uploading + " 0%");
    updateIds(field);
    try {
      const grant = await requestUpload(field, file);
      if (item.attempt !== attempt) return;
      await sendToBucket(item, grant, file);
      if (item.attempt !== attempt) return;
      item.dataset.uploadId = grant.upload_id;
      setState(item, "checking", messages.upload_checking);
      updateIds(field);
      const result = await waitForCheck(grant.upload_id);
      if (item.attempt !== attempt) return;
      if (result.state === "accepted") setState(item, "accepted", messages.upload_accepted);
      else if (result.state === "rejected") setState(item, "rejected", messages.upload_rejected + "：" + localized(result.message));
    } catch (error) {
      if (item.attempt !== attempt) return;
      setState(item, "failed", error instanceof UploadError ? error.text : messages.upload_failed);
    }
    updateIds(field);
  }

  function pickFile(input, onPicked) {
    const picker = document.createElement("input");
    picker.type = "file";
    picker.accept = input.accept;
    picker.hidden = true;
    picker.addEventListener("change", () => {
      if (picker.files.length) onPicked(picker.files[0]);
      picker.remove();
    });
    input.parentElement.appendChild(picker);
    picker.click();
  }

  for (const wrapper of form.querySelectorAll(".field[data-type='file']")) {
    const input = wrapper.querySelector("input[type='file']");
    const field = {
      id: wrapper.dataset.field,
      wrapper: wrapper,
      list: wrapper.querySelector(".upload-list"),
      maxFiles: parseInt(wrapper.querySelector(".upload").dataset.maxFiles, 10) || 1,
    };
    input.addEventListener("change", () => {
      for (const file of Array.from(input.files)) {
        // Beyond the field's limit, the oldest file makes room for the new one.
        while (field.list.children.length >= field.maxFiles) field.list.firstElementChild.remove();
        const item = createItem(field.list);
        item.querySelector(".upload-replace").addEventListener("click", () =>
          pickFile(input, (replacement) => upload(field, item, replacement))
        );
        item.querySelector(".upload-remove").addEventListener("click", () => {
          item.attempt = (item.attempt || 0) + 1;
          item.remove();
          updateIds(field);
          input.focus();
        });
        upload(field, item, file);
      }
      input.value = "";
    });
  }
})();
