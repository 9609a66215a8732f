// The drawing pad: pointer events (mouse, pen, finger), thick round dark strokes on white,
// undo and clear. It classifies 250 ms after the pen pauses while drawing, and at once on release.
// "Watch it read" asks for every model's answer after each row as well (/classify?steps=true).

import { classifierFor, renderEmpty } from "./results.js";

const DEBOUNCE_MS = 250;
const STROKE = 0.075; // line width as a fraction of the pad's side: MNIST-like after scaling to 20 px

export function setupDraw() {
  const canvas = document.getElementById("pad");
  const ctx = canvas.getContext("2d");
  const undoButton = document.getElementById("undo");
  const clearButton = document.getElementById("clear");
  const hint = document.getElementById("pad-hint");
  const result = document.getElementById("draw-result");
  const watch = document.getElementById("watch");
  const classifier = classifierFor(result, { steps: () => watch.getAttribute("aria-pressed") === "true" });
  const strokes = []; // each stroke: [[x, y], ...] in canvas pixels
  let current = null;
  let timer = 0;

  function paint(stroke) {
    ctx.lineWidth = canvas.width * STROKE;
    ctx.beginPath();
    ctx.moveTo(...stroke[0]);
    if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.01, stroke[0][1]); // a tap leaves a dot
    for (const point of stroke.slice(1)) ctx.lineTo(...point);
    ctx.stroke();
  }

  function redraw() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#111";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    strokes.forEach(paint);
    if (current) paint(current);
    const empty = strokes.length === 0 && !current;
    hint.hidden = !empty;
    undoButton.disabled = empty;
    clearButton.disabled = empty;
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) / box.width) * canvas.width,
      ((event.clientY - box.top) / box.height) * canvas.height,
    ];
  }

  function send() {
    clearTimeout(timer);
    if (strokes.length === 0 && !current) return;
    canvas.toBlob((blob) => blob && classifier.submit(blob, "drawing.png"), "image/png");
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(send, DEBOUNCE_MS);
  }

  function afterChange() {
    redraw();
    if (strokes.length) send();
    else {
      clearTimeout(timer);
      classifier.cancel();
      renderEmpty(result, "Nothing to read yet", "Draw a digit and every model's answer appears here, side by side.");
    }
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const item of events.length ? events : [event]) current.push(point(item));
    redraw();
    schedule();
  });
  const finish = () => {
    if (!current) return;
    strokes.push(current);
    current = null;
    redraw();
    send();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  watch.addEventListener("click", () => {
    watch.setAttribute("aria-pressed", String(watch.getAttribute("aria-pressed") !== "true"));
    send();
  });
  undoButton.addEventListener("click", () => {
    strokes.pop();
    afterChange();
  });
  clearButton.addEventListener("click", () => {
    strokes.length = 0;
    afterChange();
  });
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName || "");
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing && !canvas.closest("[hidden]")) {
      event.preventDefault();
      if (strokes.length) undoButton.click();
    }
  });
  redraw();
}
