// A step player: play/pause, a slider over steps 1..n, a "step t of n" label, and the arrow keys
// (Left/Right one step, Home/End, Space to play or pause) on the player or the panel it serves.
//
//   const player = makePlayer({ steps: 28, noun: "Row", onStep: (t) => draw(t) });
//   panel.append(player.element);     // player.set(10) jumps to row 10

import { el } from "./api.js";

const STEP_MS = 220;

export function makePlayer({ steps, noun, label, start = steps, onStep }) {
  let step = start;
  let timer = 0;
  const button = el("button", { type: "button", className: "btn play", "aria-pressed": "false", textContent: "Play" });
  const slider = el("input", {
    type: "range",
    min: "1",
    max: String(steps),
    value: String(step),
    className: "step-slider",
    "aria-label": label,
  });
  const readout = el("output", { className: "step-readout" });
  const element = el("div", { className: "player" }, button, slider, readout);

  function set(value) {
    step = Math.max(1, Math.min(steps, value));
    slider.value = String(step);
    readout.textContent = `${noun} ${step} of ${steps}`;
    slider.setAttribute("aria-valuetext", readout.textContent);
    onStep(step);
  }

  function pause() {
    clearInterval(timer);
    timer = 0;
    button.textContent = "Play";
    button.setAttribute("aria-pressed", "false");
  }

  function play() {
    if (step >= steps) set(1);
    button.textContent = "Pause";
    button.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      if (!element.isConnected || step >= steps) pause();
      else set(step + 1);
    }, STEP_MS);
  }

  button.addEventListener("click", () => (timer ? pause() : play()));
  slider.addEventListener("input", () => {
    pause();
    set(Number(slider.value));
  });

  /** Arrow keys for a panel around the player (the slider handles its own). */
  function keys(event) {
    if (event.target === slider) return;
    const moves = { ArrowRight: step + 1, ArrowDown: step + 1, ArrowLeft: step - 1, ArrowUp: step - 1, Home: 1, End: steps };
    if (event.key in moves) {
      event.preventDefault();
      pause();
      set(moves[event.key]);
    } else if (event.key === " " && event.target !== button) {
      event.preventDefault();
      timer ? pause() : play();
    }
  }

  set(step);
  return { element, set, pause, keys, get step() { return step; } };
}
