// Upload: pick, drop (on the zone or anywhere on the page) or paste an image; the service
// decides by content whether it can read it, and its answer or its error is shown.

import { el } from "./api.js";
import { classifierFor } from "./results.js";

export function setupUpload(showView) {
  const input = document.getElementById("file");
  const zone = document.getElementById("dropzone");
  const thumb = document.getElementById("upload-thumb");
  const icon = document.getElementById("upload-icon");
  const fileName = document.getElementById("file-name");
  const overlay = document.getElementById("drop-overlay");
  const classifier = classifierFor(document.getElementById("upload-result"));
  let thumbUrl = "";

  function take(file) {
    if (!file) return;
    showView("upload");
    if (thumbUrl) URL.revokeObjectURL(thumbUrl);
    thumbUrl = file.type.startsWith("image/") ? URL.createObjectURL(file) : "";
    thumb.hidden = !thumbUrl;
    icon.toggleAttribute("hidden", Boolean(thumbUrl)); // an <svg> has no .hidden property
    if (thumbUrl) {
      thumb.src = thumbUrl;
      thumb.alt = `Your image, ${file.name}`;
    }
    fileName.replaceChildren(el("span", { className: "file-label", textContent: file.name || "pasted image" }));
    classifier.submit(file, file.name || "pasted.png");
  }

  thumb.addEventListener("error", () => {
    thumb.hidden = true; // not an image the browser can show; the service's answer says why
    icon.removeAttribute("hidden");
  });

  input.addEventListener("change", () => {
    take(input.files[0]);
    input.value = ""; // picking the same file again classifies it again
  });

  let depth = 0; // dragenter/leave fire for every child; count them
  const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth++;
    overlay.hidden = false;
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) {
      overlay.hidden = true;
      zone.classList.remove("dragging");
    }
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    zone.classList.remove("dragging");
    take(event.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (event) => {
    const file = Array.from(event.clipboardData?.files || []).find((item) => item.type.startsWith("image/"));
    if (file) take(file);
  });
}
