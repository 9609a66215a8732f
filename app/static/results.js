// Classification results: the ensemble's answer large, the preview the models saw, and
// every digit model's 10 probabilities as bars, one row per model, so they compare at a glance.
//
//   const result = await classify(blob, signal);    // POST /classify?model=all
//   renderResult(container, result);                // with steps: the "watch it read" panel too

import { api, el, percent, showError } from "./api.js";
import { atStep, readingPanel } from "./reading.js";

/** POST an image to /classify?model=all (&steps=true); resolve to {preview, ensemble, models: [...]}. */
export async function classify(blob, signal, filename = "image.png", steps = false) {
  const form = new FormData();
  form.append("file", blob, filename);
  const query = steps ? "classify?model=all&steps=true" : "classify?model=all";
  return normalize(await api(query, { method: "POST", form, signal }));
}

function prediction(item, name) {
  return {
    model: item.model || name,
    digit: item.digit,
    confidence: item.confidence,
    probabilities: item.probabilities || [],
    steps: Array.isArray(item.steps) ? item.steps : null, // 28 x 10 with ?steps=true
  };
}

/** The `all` answer ({preview, ensemble, results: [...]}), or a single model's answer. */
function normalize(data) {
  const models = (data.results || []).map((item) => prediction(item)).filter((item) => item.model !== "ensemble");
  const ensemble = prediction(data.ensemble || data, data.ensemble ? "ensemble" : data.model);
  return { preview: data.preview, ensemble, models };
}

function bars(item) {
  const top = item.digit;
  const summary = item.probabilities.map((p, digit) => `${digit}: ${percent(p, 0)}`).join(", ");
  const box = el("div", { className: "bars", role: "img", "aria-label": `Probabilities, ${summary}` });
  item.probabilities.forEach((p, digit) => {
    const bar = el("div", { className: digit === top ? "bar top" : "bar", title: `${digit}: ${percent(p)}`, "data-p": String(p) });
    bar.style.setProperty("--p", Math.max(0, Math.min(1, p)).toFixed(4));
    bar.append(el("span", { className: "bar-track" }, el("span", { className: "bar-fill" })));
    bar.append(el("span", { className: "bar-label", textContent: String(digit) }));
    box.append(bar);
  });
  return box;
}

function modelRow(item, ensembleDigit, isEnsemble = false) {
  const differs = !isEnsemble && item.digit !== ensembleDigit;
  const row = el("div", {
    className: `model-row${isEnsemble ? " is-ensemble" : ""}${differs ? " differs" : ""}`,
    "data-model": item.model,
  });
  const name = el("div", { className: "model-name" });
  name.append(el("span", { textContent: isEnsemble ? "Ensemble" : item.model }));
  if (isEnsemble) name.append(el("span", { className: "muted small", textContent: "average of all models" }));
  const pred = el("div", { className: "model-pred", title: differs ? "Disagrees with the ensemble" : "" });
  pred.append(
    el("span", { className: "pred-digit", textContent: String(item.digit) }),
    el("span", { className: "pred-conf", textContent: percent(item.confidence, 0) }),
  );
  row.append(name, pred, bars(item));
  return row;
}

function verdict(result) {
  const { ensemble, models } = result;
  const agree = models.filter((item) => item.digit === ensemble.digit).length;
  const main = el("div", { className: "verdict-main" });
  main.append(
    el("p", { className: "eyebrow", textContent: "The models read" }),
    el("p", { className: "ensemble-digit", textContent: String(ensemble.digit) }),
    el("p", {
      className: "verdict-conf",
      textContent: models.length
        ? `${percent(ensemble.confidence, 0)} sure · ${agree} of ${models.length} models agree`
        : `${percent(ensemble.confidence, 0)} sure`,
    }),
  );
  const figure = el("figure", { className: "preview" });
  const img = el("img", { src: result.preview || "", width: 28, height: 28, alt: "The 28 by 28 pixel image the models saw" });
  figure.append(img, el("figcaption", { textContent: "What the models saw, 28×28" }));
  const box = el("div", { className: "verdict" });
  box.append(main, figure);
  return box;
}

function fillCompare(compare, ensemble, models) {
  compare.replaceChildren(modelRow(ensemble, ensemble.digit, true), ...models.map((item) => modelRow(item, ensemble.digit)));
}

/** Replace the container's content with the result; data-state="done" marks it for tests. With
 * steps, the "watch it read" panel comes first and the bars show the answers at its row. */
export function renderResult(container, result) {
  const compare = el("div", { className: "compare", role: "group", "aria-label": "Every model's answer" });
  const heading = el("h2", { className: "section-title", textContent: "Model by model" });
  const stepped = Boolean(result.ensemble.steps && result.models.every((item) => item.steps));
  if (stepped) {
    const panel = readingPanel(result, (t) => {
      fillCompare(compare, atStep(result.ensemble, t), result.models.map((item) => atStep(item, t)));
      heading.textContent = t === 28 ? "Model by model" : `Model by model, after ${t} rows`;
    });
    container.replaceChildren(verdict(result), panel, heading, compare);
  } else {
    fillCompare(compare, result.ensemble, result.models);
    container.replaceChildren(verdict(result), heading, compare);
  }
  container.dataset.state = "done";
  container.dataset.steps = String(stepped);
  container.dataset.digit = String(result.ensemble.digit);
}

/** Show a quiet "working" state without throwing away the last answer. */
export function markBusy(container, busy) {
  container.classList.toggle("busy", busy);
  container.setAttribute("aria-busy", busy ? "true" : "false");
}

export function renderEmpty(container, title, text) {
  const box = el("div", { className: "empty" });
  box.append(el("p", { className: "empty-title", textContent: title }), el("p", { textContent: text }));
  container.replaceChildren(box);
  container.dataset.state = "idle";
  delete container.dataset.digit;
}

/**
 * A classifier bound to one result container: each submit aborts the one before, and an
 * answer is shown only if it belongs to the newest request, so answers never arrive out of order.
 */
export function classifierFor(container, { steps = () => false } = {}) {
  let controller = null;
  let sequence = 0;
  return {
    async submit(blob, filename) {
      controller?.abort();
      controller = new AbortController();
      const mine = ++sequence;
      markBusy(container, true);
      try {
        const result = await classify(blob, controller.signal, filename, steps());
        if (mine === sequence) renderResult(container, result);
      } catch (error) {
        if (error.name !== "AbortError" && mine === sequence) showError(container, error);
      } finally {
        if (mine === sequence) markBusy(container, false);
      }
    },
    cancel() {
      controller?.abort();
      sequence++;
      markBusy(container, false);
    },
  };
}
