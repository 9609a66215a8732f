// Models: the zoo from GET /models, each card from GET /models/{name}: architecture,
// parameter count, test results, checksum and the training-curve PNGs the service serves.

import { api, el, percent, showError } from "./api.js";

const PLOT_TITLES = {
  "loss.png": "Training loss",
  "validation.png": "Validation",
  "confusion.png": "Confusion matrix",
  "bit_accuracy.png": "Bit accuracy by length",
  "exact_by_length.png": "Exact sums by length",
};

/** GET /models, whatever its envelope: a list, or {models: [...]}. */
export async function listModels() {
  const data = await api("models");
  const list = Array.isArray(data) ? data : data.models || [];
  return { models: list.map((item) => (typeof item === "string" ? { name: item } : item)), data };
}

function architectureText(card) {
  const arch = card.architecture || {};
  if (card.task === "adder") return `LSTM, ${arch.hidden_size} hidden units, reads 2 bits a step`;
  const layers = arch.num_layers > 1 ? `${arch.num_layers} layers` : "1 layer";
  const direction = arch.bidirectional ? "bidirectional" : "one direction";
  return `${arch.cell === "RNN" ? "RNN (tanh)" : arch.cell}, ${arch.hidden_size} hidden, ${layers}, ${direction}`;
}

function headline(card) {
  const m = card.metrics || {};
  if (card.task === "adder") {
    const long = m.long || {};
    const lengths = long.lengths || [];
    const last = lengths.length - 1;
    const stats = [["bit accuracy", m.bit_accuracy, "lengths 1-20"], ["exact sums", m.exact_accuracy, "lengths 1-20"]];
    if (last >= 0) stats.push([`exact at ${lengths[last].toLocaleString("en")} bits`, long.random_exact?.[last], "random pairs"]);
    return stats;
  }
  return [
    ["test accuracy", m.test_accuracy, `${(m.test_examples || 10000).toLocaleString("en")} MNIST test images`],
    ["validation accuracy", m.val_accuracy, "best epoch"],
  ];
}

function plotUrl(name, plot) {
  const file = typeof plot === "string" ? plot : plot.file || plot.name || plot.url;
  if (/^(\/|https?:)/.test(file) || file.includes("/plots/")) return { file: file.split("/").pop(), url: file.replace(/^\//, "") };
  return { file, url: `models/${encodeURIComponent(name)}/plots/${encodeURIComponent(file)}` };
}

function modelCard(card) {
  const article = el("article", { className: "card model-card", "data-model": card.name });
  const head = el("header", { className: "model-card-head" });
  head.append(
    el("h3", { textContent: card.name }),
    el("span", { className: `chip ${card.task}`, textContent: card.task === "adder" ? "adder" : "digits" }),
  );
  article.append(head, el("p", { className: "arch", textContent: architectureText(card) }));

  const stats = el("dl", { className: "stats" });
  for (const [label, value, note] of headline(card)) {
    if (typeof value !== "number") continue;
    stats.append(el("div", { className: "stat" },
      el("dt", { textContent: label }),
      el("dd", { className: "stat-value", textContent: percent(value, value === 1 ? 0 : 2) }),
      el("dd", { className: "stat-note", textContent: note })));
  }
  if (typeof card.parameters === "number") {
    stats.append(el("div", { className: "stat" },
      el("dt", { textContent: "parameters" }),
      el("dd", { className: "stat-value", textContent: card.parameters.toLocaleString("en") }),
      el("dd", { className: "stat-note", textContent: "weights and biases" })));
  }
  article.append(stats);

  const order = Object.keys(PLOT_TITLES);
  const rank = (plot) => (order.includes(plot.file) ? order.indexOf(plot.file) : order.length);
  const plots = (card.plots || []).map((plot) => plotUrl(card.name, plot)).sort((x, y) => rank(x) - rank(y));
  if (plots.length) {
    const curves = el("details", { className: "curves", open: !matchMedia("(max-width: 560px)").matches });
    curves.append(el("summary", { textContent: `Training curves (${plots.length})` }));
    const gallery = el("div", { className: "plots" });
    for (const { file, url } of plots) {
      const title = PLOT_TITLES[file] || file.replace(/\.png$/, "").replace(/_/g, " ");
      const link = el("a", { href: url, target: "_blank", rel: "noopener", className: "plot" });
      link.append(
        el("img", { src: url, alt: `${card.name}: ${title}`, loading: "lazy", width: 480, height: 320 }),
        el("span", { className: "plot-title", textContent: title }),
      );
      gallery.append(link);
    }
    curves.append(gallery);
    article.append(curves);
  }
  if (card.sha256) {
    const sha = el("p", { className: "sha muted small" });
    sha.append("SHA-256 ", el("code", { textContent: `${card.sha256.slice(0, 16)}…`, title: card.sha256 }));
    article.append(sha);
  }
  return article;
}

function section(title, text, cards) {
  const box = el("section", { className: "zoo-section" });
  box.append(
    el("h2", { className: "section-title", textContent: `${title} (${cards.length})` }),
    el("p", { className: "muted", textContent: text }),
  );
  const grid = el("div", { className: "model-grid" });
  grid.append(...cards.map(modelCard));
  box.append(grid);
  return box;
}

/** Fetch the list and every card, then render them grouped by task. */
export async function loadModels(container, listing) {
  container.dataset.state = "loading";
  container.replaceChildren(el("p", { className: "muted loading", textContent: "Loading the model zoo…" }));
  try {
    const { models } = listing || (await listModels());
    const cards = await Promise.all(models.map((item) => api(`models/${encodeURIComponent(item.name)}`)));
    const digits = cards.filter((card) => card.task !== "adder");
    const adders = cards.filter((card) => card.task === "adder");
    container.replaceChildren(
      section("Digit classifiers", "Each reads a 28×28 image as 28 rows of 28 pixels.", digits),
      section("Binary adders", "Each reads two numbers one bit pair a step, least significant first.", adders),
    );
    container.dataset.state = "done";
    container.dataset.count = String(cards.length);
  } catch (error) {
    showError(container, error);
  }
}
