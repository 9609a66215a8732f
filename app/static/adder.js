// Add: two bit strings (checked as typed: only 0 and 1), a model, and the model's sum set
// against the exact sum, bit by bit, right-aligned, with mismatches and per-bit confidence; with
// "show the state", the LSTM's state under the bits, column by column (carry.js).

import { api, el, percent, showError } from "./api.js";
import { stateView } from "./carry.js";

const MAX_RANDOM_BITS = 4096;
const MAX_STEP_BITS = 256; // the service's default RNNLAB_MAX_STEP_BITS: longer sums come without steps

/** An inline message for a bit string, or "" when it is fine. */
export function bitError(value, required) {
  if (value === "") return required ? "Enter a binary number, for example 1011." : "";
  const bad = value.search(/[^01]/);
  if (bad < 0) return "";
  const char = value[bad] === " " ? "a space" : `“${value[bad]}”`;
  return `Only 0 and 1 are allowed: ${char} at position ${bad + 1} is not a bit.`;
}

function randomBits(n) {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (byte, i) => (i === 0 ? "1" : String(byte & 1))).join("");
}

function decimal(bits) {
  const text = BigInt(`0b${bits || 0}`).toString();
  return text.length > 42 ? `${text.slice(0, 18)}…${text.slice(-18)} (${text.length} digits)` : text;
}

const nibble = (columns, col) => ((columns - col) % 4 === 0 && col > 0 ? "nibble" : "");

/** One table row: a header and one cell per column, the bits right-aligned so they line up. */
function bitRow(label, bits, columns, cellClass = () => "") {
  const row = el("tr", { className: `row-${label.replace(/\W+/g, "")}` });
  row.append(el("th", { scope: "row", textContent: label }));
  const offset = columns - bits.length;
  for (let col = 0; col < columns; col++) {
    const i = col - offset;
    const classes = [nibble(columns, col), cellClass(col)].filter(Boolean).join(" ");
    row.append(el("td", { className: classes, textContent: i >= 0 ? bits[i] : "" }));
  }
  return row;
}

function confidenceRow(sum, confidences, columns) {
  const row = el("tr", { className: "row-confidence" });
  row.append(el("th", { scope: "row", textContent: "sure" }));
  const offset = columns - sum.length;
  for (let col = 0; col < columns; col++) {
    const i = col - offset;
    const cell = el("td", { className: nibble(columns, col) });
    const confidence = confidences[i];
    if (i >= 0 && typeof confidence === "number") {
      cell.style.setProperty("--c", Math.max(0, 2 * confidence - 1).toFixed(3)); // 0: a coin toss, 1: certain
      if (confidence < 0.9) cell.classList.add("unsure");
      cell.title = `bit ${sum.length - i - 1}: ${percent(confidence)} sure`;
      cell.append(el("span", { className: "conf-fill" }));
    }
    row.append(cell);
  }
  return row;
}

function renderSum(container, a, b, data, stepsNote = "") {
  const sum = String(data.sum);
  const expected = String(data.expected);
  const columns = Math.max(a.length, b.length, sum.length, expected.length);
  const padded = [sum, expected].map((bits) => bits.padStart(columns, "0"));
  const wrongColumns = new Set();
  for (let col = 0; col < columns; col++) if (padded[0][col] !== padded[1][col]) wrongColumns.add(col);
  const wrong = wrongColumns.size;
  const correct = data.correct ?? wrong === 0;
  const probabilities = Array.isArray(data.probabilities) ? data.probabilities : [];
  const shift = probabilities.length - sum.length; // align the probabilities with the sum's bits
  const confidences = Array.from(sum, (bit, i) => {
    const p = probabilities[i + shift];
    return typeof p === "number" ? (bit === "1" ? p : 1 - p) : undefined;
  });

  const head = el("div", { className: "sum-head" });
  head.append(
    el("p", {
      className: `verdict-chip ${correct ? "ok" : "bad"}`,
      textContent: correct ? "Exact: every bit is right" : `${wrong || "Some"} of ${sum.length} bits wrong`,
    }),
    el("p", { className: "muted", textContent: `Model ${data.model} · ${sum.length}-bit sum` }),
  );
  const facts = el("dl", { className: "facts" });
  const fact = (term, value) => facts.append(el("div", {}, el("dt", { textContent: term }), el("dd", { textContent: value })));
  fact("a + b, in decimal", `${decimal(a)} + ${decimal(b)} = ${decimal(expected)}`);
  fact("The model's sum, in decimal", decimal(sum));
  const known = confidences.filter((c) => c !== undefined);
  if (known.length) fact("Least sure bit", percent(Math.min(...known)));

  const table = el("table", { className: "bit-table" });
  const tbody = el("tbody", {},
    bitRow("a", a, columns),
    bitRow("+ b", b, columns),
    bitRow("model", sum, columns, (col) => (wrongColumns.has(col) ? "wrong" : "")),
    bitRow("exact", expected, columns, (col) => (wrongColumns.has(col) ? "wrong-exact" : "")),
    confidenceRow(sum, confidences, columns),
  );
  table.append(
    el("caption", { className: "visually-hidden", textContent: "The model's sum against the exact sum, bit by bit" }),
    tbody,
  );
  const reading = Array.isArray(data.steps) && data.steps.length === sum.length ? stateView(tbody, data, a, b, columns) : null;
  const scroller = el("div", { className: "bit-scroll", tabIndex: 0, role: "region", "aria-label": "Bits; scroll sideways for more" });
  scroller.append(table);
  const legend = el("p", {
    className: "help",
    textContent: "Bits that differ from the exact sum are marked in red. “sure” is the model's confidence in each " +
      "bit: a full bar is certain, an empty one a coin toss; orange is below 90 %.",
  });
  container.replaceChildren(head, facts, scroller, legend);
  if (reading) container.append(reading.controls);
  else if (stepsNote) container.append(el("p", { className: "help", textContent: stepsNote }));
  container.dataset.state = "done";
  container.dataset.steps = String(Boolean(reading));
  container.dataset.correct = String(correct);
  scroller.scrollLeft = scroller.scrollWidth; // the low bits, where the carries start, in view
}

function setFieldError(input, message) {
  const target = document.getElementById(`${input.id}-error`);
  target.textContent = message;
  input.setAttribute("aria-invalid", message ? "true" : "false");
}

export function setupAdder() {
  const form = document.getElementById("add-form");
  const inputs = [document.getElementById("a"), document.getElementById("b")];
  const select = document.getElementById("adder-model");
  const nbits = document.getElementById("nbits");
  const showSteps = document.getElementById("add-steps");
  const randomLabel = document.getElementById("random-label");
  const result = document.getElementById("add-result");
  let controller = null;

  for (const input of inputs) input.addEventListener("input", () => setFieldError(input, bitError(input.value, false)));
  showSteps.addEventListener("change", () => result.dataset.state === "done" && submit());
  nbits.addEventListener("input", () => {
    const n = Number.parseInt(nbits.value, 10);
    randomLabel.textContent = n >= 1 ? `Random ${n}-bit pair` : "Random pair";
  });

  async function submit() {
    const errors = inputs.map((input) => bitError(input.value, true));
    inputs.forEach((input, i) => setFieldError(input, errors[i]));
    const firstBad = inputs.find((_, i) => errors[i]);
    if (firstBad) {
      firstBad.focus();
      return;
    }
    const [a, b] = inputs.map((input) => input.value);
    controller?.abort();
    controller = new AbortController();
    const body = { a, b };
    if (select.value) body.model = select.value;
    const long = Math.max(a.length, b.length) > MAX_STEP_BITS;
    if (showSteps.checked && !long) body.steps = true;
    const note = showSteps.checked && long ? `The state is shown for numbers of up to ${MAX_STEP_BITS} bits.` : "";
    result.setAttribute("aria-busy", "true");
    result.classList.add("busy");
    try {
      renderSum(result, a, b, await api("add", { method: "POST", json: body, signal: controller.signal }), note);
    } catch (error) {
      if (error.name !== "AbortError") showError(result, error);
    } finally {
      result.setAttribute("aria-busy", "false");
      result.classList.remove("busy");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  document.getElementById("random-bits").addEventListener("click", () => {
    const n = Math.min(MAX_RANDOM_BITS, Math.max(1, Number.parseInt(nbits.value, 10) || 64));
    nbits.value = String(n);
    inputs.forEach((input) => {
      input.value = randomBits(n);
      setFieldError(input, "");
    });
    submit();
  });
}

/** Fill the model selector with the adders from /models. */
export function fillAdderModels(models, defaultName) {
  const select = document.getElementById("adder-model");
  const adders = models.filter((model) => model.task === "adder");
  select.replaceChildren(el("option", { value: "", textContent: defaultName ? `Default (${defaultName})` : "Default model" }));
  for (const model of adders) select.append(el("option", { value: model.name, textContent: model.name }));
}
