// rnnlab's web page: four views (draw, upload, add, models) behind accessible tabs, with the
// view in the URL's hash (#draw, #upload, #add, #models). Plain ES modules, no build step.

import { fillAdderModels, setupAdder } from "./adder.js";
import { setupDraw } from "./draw.js";
import { listModels, loadModels } from "./models.js";
import { setupUpload } from "./upload.js";

const VIEWS = ["draw", "upload", "add", "models"];
const tabs = VIEWS.map((view) => document.getElementById(`tab-${view}`));
let listing = null; // GET /models, fetched once
let modelsShown = false;

function showView(view, { focus = false } = {}) {
  if (!VIEWS.includes(view)) view = "draw";
  VIEWS.forEach((name, i) => {
    const selected = name === view;
    tabs[i].setAttribute("aria-selected", String(selected));
    tabs[i].tabIndex = selected ? 0 : -1;
    document.getElementById(`view-${name}`).hidden = !selected;
  });
  if (focus) tabs[VIEWS.indexOf(view)].focus();
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
  document.body.dataset.view = view;
  if (view === "models" && !modelsShown) {
    modelsShown = true;
    loadModels(document.getElementById("models-list"), listing);
  }
}

function setupTabs() {
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => showView(VIEWS[i]));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: VIEWS.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      showView(VIEWS[(moves[event.key] + VIEWS.length) % VIEWS.length], { focus: true });
    });
  });
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
  document.querySelector(".brand").addEventListener("click", (event) => {
    event.preventDefault();
    showView("draw", { focus: true });
  });
}

async function loadListing() {
  try {
    const { models, data } = await listModels();
    listing = { models, data };
    const adders = models.filter((model) => model.task === "adder");
    const best = data.default_adder || adders.find((model) => model.default)?.name;
    fillAdderModels(models, best);
  } catch {
    // The models view reports the error when shown; the adder falls back to the default model.
  }
}

setupTabs();
setupDraw();
setupUpload(showView);
setupAdder();
showView(location.hash.slice(1) || "draw");
loadListing();
