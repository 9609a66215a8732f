// The adder's reading, column by column: a heat map of its LSTM state (hidden h or cell c, one
// row per unit) under the bits, the true carry beside it, the unit that tracks the carry pointed
// out with its correlation, and a player that lets the bits flow in from the least significant end.
//
//   const view = stateView(tbody, data, a, b, columns);   // data: /add's answer with "steps": true
//   container.append(view.controls);

import { el, percent } from "./api.js";
import { makePlayer } from "./player.js";

/** The true carry out of each column, LSB first, for MSB-first bit strings a and b over `width` columns. */
export function trueCarries(a, b, width) {
  const bit = (s, i) => (i < s.length ? Number(s[s.length - 1 - i]) : 0);
  const out = [];
  let carry = 0;
  for (let i = 0; i < width; i++) {
    const x = bit(a, i);
    const y = bit(b, i);
    carry = (x & y) | (carry & (x | y));
    out.push(carry);
  }
  return out;
}

/** A value scaled to [-1, 1] -> a diverging colour: blue below zero, orange above, white at zero. */
function heat(v) {
  const t = Math.min(1, Math.abs(v));
  const [r, g, b] = v < 0 ? [37, 99, 235] : [234, 88, 12];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)} ${mix(g)} ${mix(b)})`;
}

function carryText(data) {
  const unit = data.carry_unit;
  if (!unit) {
    const note = data.carry_note || "no unit tracks the carry well";
    return `${note[0].toUpperCase()}${note.slice(1)}.`;
  }
  const name = `${unit.state === "cell" ? "c" : "h"}${unit.unit}`;
  return `Unit ${name} (${unit.state} state) tracks the carry: correlation r = ${unit.correlation.toFixed(2)} with the true carry over a long random sum.`;
}

/** Rows appended to the bit table's body, and the controls (state switch, player, note) to show under it. */
export function stateView(tbody, data, a, b, columns) {
  const steps = data.steps;
  const width = steps.length; // = the sum's bits; step i (LSB first) sits in column columns - 1 - i
  const carries = trueCarries(a, b, width);
  const unit = data.carry_unit;
  let state = unit ? unit.state : "cell";
  let shown = width;
  const rows = [];

  function build() {
    rows.forEach((row) => row.remove());
    rows.length = 0;
    const values = steps.map((step) => step[state]);
    const scale = Math.max(1e-6, ...values.flat().map(Math.abs));
    const units = values[0].length;
    for (let u = 0; u < units; u++) {
      const isCarry = unit && unit.state === state && unit.unit === u;
      const label = `${state === "cell" ? "c" : "h"}${u}${isCarry ? " ← carry" : ""}`;
      rows.push(heatRow(label, (i) => values[i][u] / scale, (i) => values[i][u], isCarry));
    }
    rows.push(heatRow("carry", (i) => carries[i], (i) => carries[i], false, "row-carry"));
    tbody.append(...rows);
    flow(shown);
  }

  function heatRow(label, scaled, raw, isCarry, extra = "") {
    const row = el("tr", { className: `row-heat ${extra}${isCarry ? " carry-unit" : ""}` });
    row.append(el("th", { scope: "row", textContent: label }));
    for (let col = 0; col < columns; col++) {
      const i = columns - 1 - col;
      const cell = el("td", {});
      if (i < width) {
        cell.style.background = heat(scaled(i));
        cell.title = `${label.split(" ")[0]} after bit ${i}: ${Number(raw(i)).toFixed(3)}`;
        cell.dataset.step = String(i);
      }
      row.append(cell);
    }
    return row;
  }

  /** Show the first k columns read (LSB first); dim the rest of the table. */
  function flow(k) {
    shown = k;
    for (const cell of tbody.querySelectorAll("td")) {
      const col = cell.cellIndex - 1;
      const i = columns - 1 - col;
      cell.classList.toggle("later", i >= k && i < width);
      cell.classList.toggle("now", i === k - 1);
    }
    const p = steps[k - 1].probability;
    status.textContent = `Bit ${k - 1}: sum bit ${p >= 0.5 ? 1 : 0}, ${percent(p >= 0.5 ? p : 1 - p, 0)} sure; ` +
      `true carry out ${carries[k - 1]}.`;
    panel.dataset.step = String(k);
    keepInView(tbody.querySelector("td.now"));
  }

  /** Scroll the bits sideways (never the page) so that the column being read shows. */
  function keepInView(cell) {
    const scroller = tbody.closest(".bit-scroll");
    if (!cell || !scroller) return;
    const left = cell.offsetLeft - scroller.clientWidth / 2;
    if (cell.offsetLeft < scroller.scrollLeft + 80 || cell.offsetLeft > scroller.scrollLeft + scroller.clientWidth - 20) {
      scroller.scrollLeft = Math.max(0, left);
    }
  }

  const status = el("p", { className: "reading-status", "aria-live": "polite" });
  const switcher = el("div", { className: "state-switch", role: "radiogroup", "aria-label": "State shown in the heat map" });
  for (const [value, text] of [["hidden", "hidden h (output)"], ["cell", "cell c (memory)"]]) {
    const input = el("input", { type: "radio", name: "adder-state", value, checked: value === state });
    input.addEventListener("change", () => {
      state = value;
      build();
    });
    switcher.append(el("label", {}, input, el("span", { textContent: text })));
  }
  const player = makePlayer({ steps: width, noun: "Column", label: "Columns read, least significant first", onStep: (k) => rows.length && flow(k) });
  const note = el("p", { className: `carry-note${unit ? "" : " none"}`, textContent: carryText(data) });
  const legend = el("p", {
    className: "help",
    textContent: "Each row under the bits is one LSTM unit after reading that column (blue below zero, orange " +
      "above); “carry” is the true carry out of the column. Play to let the bits flow in, least significant first.",
  });
  const panel = el("div", { className: "adder-reading", tabIndex: 0, "aria-label": "The adder's state, column by column" });
  panel.addEventListener("keydown", player.keys);
  panel.append(note, switcher, player.element, status, legend);
  build();
  return { controls: panel, player };
}
