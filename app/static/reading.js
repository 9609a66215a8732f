// "Watch it read": the 28x28 image the models saw with a line at the row reached, a player over
// the rows, and a chart of the winning digit's probability against the row, one line per model.
// Step t is each model's answer to rows 1..t alone (the API's /classify?steps=true).
//
//   panel = readingPanel(result, (t, step) => showBars(t));   // result.models[i].steps: 28 x 10

import { el, percent } from "./api.js";
import { makePlayer } from "./player.js";

const ROWS = 28;
const SCALE = 8; // canvas pixels per image pixel
const COLOURS = ["#4f46e5", "#0891b2", "#16a34a", "#7c2d12", "#dc2626", "#9333ea", "#ea580c", "#475569"];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** The image the models saw, drawn large, rows after t dimmed and a line under row t. */
function imageView(preview) {
  const canvas = el("canvas", { className: "reading-image", width: ROWS * SCALE, height: ROWS * SCALE });
  canvas.setAttribute("role", "img");
  const image = new Image();
  let row = ROWS;
  function draw(t = row) {
    row = t;
    canvas.setAttribute("aria-label", `The 28 by 28 image the models saw, read down to row ${t}`);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (image.complete && image.naturalWidth) ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "rgba(20, 22, 40, 0.72)";
    ctx.fillRect(0, t * SCALE, canvas.width, canvas.height - t * SCALE);
    ctx.fillStyle = "#f59e0b";
    ctx.fillRect(0, t * SCALE - 2, canvas.width, 3);
  }
  image.addEventListener("load", () => draw());
  image.src = preview || "";
  return { canvas, draw };
}

/** The winning digit's probability against the row, a polyline per model, and a cursor at row t. */
function chart(series, digit) {
  const width = 320;
  const height = 150;
  const pad = { left: 30, right: 8, top: 8, bottom: 22 };
  const x = (t) => pad.left + ((t - 1) / (ROWS - 1)) * (width - pad.left - pad.right);
  const y = (p) => pad.top + (1 - p) * (height - pad.top - pad.bottom);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "reading-chart", role: "img" });
  root.setAttribute("aria-label", `Probability of ${digit} after each row, one line per model`);
  for (const p of [0, 0.5, 1]) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(p), y2: y(p), class: "grid" }));
    const label = svg("text", { x: pad.left - 4, y: y(p) + 3, "text-anchor": "end", class: "axis" });
    label.textContent = `${p * 100}%`;
    root.append(label);
  }
  for (const t of [1, 7, 14, 21, 28]) {
    const label = svg("text", { x: x(t), y: height - 6, "text-anchor": "middle", class: "axis" });
    label.textContent = String(t);
    root.append(label);
  }
  series.forEach(({ name, steps, colour, dashed }) => {
    const points = steps.map((row, i) => `${x(i + 1).toFixed(1)},${y(row[digit]).toFixed(1)}`).join(" ");
    const line = svg("polyline", { points, fill: "none", stroke: colour, "stroke-width": dashed ? 2.5 : 1.5 });
    if (dashed) line.setAttribute("stroke-dasharray", "5 3");
    line.dataset.model = name;
    root.append(line);
  });
  const cursor = svg("line", { y1: pad.top, y2: height - pad.bottom, class: "cursor" });
  root.append(cursor);
  return {
    root,
    move(t) {
      cursor.setAttribute("x1", x(t));
      cursor.setAttribute("x2", x(t));
    },
  };
}

function legend(series) {
  const list = el("ul", { className: "reading-legend" });
  for (const { name, colour, dashed } of series) {
    const swatch = el("span", { className: `swatch${dashed ? " dashed" : ""}` });
    swatch.style.setProperty("--colour", colour);
    list.append(el("li", {}, swatch, el("span", { textContent: name })));
  }
  return list;
}

/** The panel; onStep(t) runs at each row shown (bars, verdict), 28 first. */
export function readingPanel(result, onStep) {
  const digit = result.ensemble.digit;
  const series = [
    ...result.models.map((item, i) => ({ name: item.model, steps: item.steps, colour: COLOURS[i % COLOURS.length] })),
    { name: "ensemble", steps: result.ensemble.steps, colour: "#111", dashed: true },
  ];
  const image = imageView(result.preview);
  const plot = chart(series, digit);
  const status = el("p", { className: "reading-status", "aria-live": "polite" });
  const panel = el("section", { className: "reading", tabIndex: 0, "aria-label": "Watch the models read, row by row" });
  const player = makePlayer({
    steps: ROWS,
    noun: "Row",
    label: "Rows read",
    onStep(t) {
      image.draw(t);
      plot.move(t);
      const row = result.ensemble.steps[t - 1];
      const best = row.indexOf(Math.max(...row));
      status.textContent = `After ${t} of ${ROWS} rows the ensemble reads ${best} (${percent(row[best], 0)}).`;
      panel.dataset.step = String(t);
      onStep(t);
    },
  });
  panel.addEventListener("keydown", player.keys);
  const note = el("p", {
    className: "help",
    textContent:
      `Step t is each model's answer to the first t rows alone. The one-directional networks give it from the pass ` +
      `that answers, after reading row t; the two bidirectional ones read each of the 28 prefixes again, their ` +
      `backward half starting at row t. The chart follows P(${digit}), the final answer's probability.`,
  });
  const figure = el("div", { className: "reading-figures" }, image.canvas, el("div", { className: "reading-plot" }, plot.root, legend(series)));
  panel.append(el("h2", { className: "section-title", textContent: "Watch it read" }), figure, player.element, status, note);
  panel.player = player;
  return panel;
}

/** The step-t view of an answer: its probabilities at row t, as the bars show them. */
export function atStep(item, t) {
  const probabilities = item.steps[t - 1];
  const digit = probabilities.indexOf(Math.max(...probabilities));
  return { ...item, digit, confidence: probabilities[digit], probabilities };
}
