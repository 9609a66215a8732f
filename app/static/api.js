// Calls to rnnlab's public HTTP API, and every error turned into plain words.
//
//   const card = await api("models/mnist-lstm-128");          // parsed JSON, or throws ApiError
//   showError(container, error);                               // a readable alert, never a trace

const HEADLINES = {
  0: "Can't reach the server",
  400: "The request was not accepted",
  404: "Not found",
  405: "Not allowed",
  408: "The server took too long",
  413: "Too large",
  415: "Unsupported file type",
  422: "Please check the input",
  429: "Too many requests",
  503: "The service is starting up",
};

const FIELD_NAMES = { a: "First number", b: "Second number", file: "Image", model: "Model", body: "Request" };

export class ApiError extends Error {
  constructor(title, message, status) {
    super(message);
    this.title = title;
    this.status = status;
  }
}

function sentence(text) {
  const trimmed = String(text)
    .trim()
    .replace(/\s+/g, " ")
    .replace(/\b(\d{6,}) bytes\b/g, (_, n) => `${(Number(n) / 1048576).toFixed(1)} MB`);
  if (!trimmed) return "";
  const capped = trimmed.length > 300 ? `${trimmed.slice(0, 297)}…` : trimmed;
  const first = capped[0].toUpperCase() + capped.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

function looksLikeTrace(text) {
  return /Traceback|File "|\bat \S+:\d+|Exception:/.test(text);
}

// pydantic's wording, said plainly
const PLAIN = [
  [/^String should match pattern '\^\[01\]\+\$'$/, "may contain only the digits 0 and 1"],
  [/^String should have at least 1 character$/, "must not be empty"],
  [/^Field required$/, "is required"],
  [/^Extra inputs are not permitted$/, "is not a field this service accepts"],
];

/** FastAPI's 422 list ({loc, msg}) as "First number may contain only the digits 0 and 1." */
function describeValidation(items) {
  return items
    .map((item) => {
      const loc = (item.loc || []).filter((part) => !["body", "query", "path"].includes(part));
      const field = loc.length ? FIELD_NAMES[loc[0]] || `“${loc.join(".")}”` : "";
      const msg = String(item.msg || "is not valid").replace(/^Value error, /, "");
      const plain = PLAIN.find(([pattern]) => pattern.test(msg));
      if (!field) return plain ? plain[1] : msg;
      return plain ? `${field} ${plain[1]}` : `${field}: ${msg}`;
    })
    .map(sentence)
    .join(" ");
}

function fallbackMessage(status) {
  if (status >= 500) return "The server ran into a problem. Please try again in a moment.";
  if (status === 404) return "The server does not know that address or model.";
  if (status === 413) return "That is more than the service accepts. Try a smaller file or a shorter input.";
  return `The server answered with status ${status}.`;
}

/** The headline and message to show for an HTTP error status and its JSON body (or null). */
export function describeError(status, body) {
  const title = HEADLINES[status] || (status >= 500 ? "Something went wrong on the server" : "Request failed");
  const detail = body && typeof body === "object" ? body.detail : undefined;
  let message = "";
  const list = Array.isArray(detail) ? detail : body && Array.isArray(body.errors) ? body.errors : null;
  if (list && list.length) message = describeValidation(list);
  if (!message && typeof detail === "string" && !(status >= 500 && looksLikeTrace(detail))) message = sentence(detail);
  return new ApiError(title, message || fallbackMessage(status), status);
}

/** fetch() a path of the API; resolve to its JSON, reject with ApiError (or AbortError if aborted). */
export async function api(path, { method = "GET", json, form, signal } = {}) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  let data = null;
  try {
    response = await fetch(path, init);
    const text = await response.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(HEADLINES[0], "Check your connection and that the rnnlab service is running, then try again.", 0);
  }
  if (!response.ok) throw describeError(response.status, data);
  if (data === null) throw new ApiError("Unexpected answer", "The server sent a reply this page cannot read.", response.status);
  return data;
}

/** Replace a container's content with an alert that explains the error. */
export function showError(container, error) {
  const known = error instanceof ApiError;
  const alert = el("div", { className: "alert", role: "alert" });
  alert.innerHTML = '<svg class="icon" aria-hidden="true"><use href="#i-alert"/></svg>';
  const text = el("div");
  text.append(
    el("p", { className: "alert-title", textContent: known ? error.title : "Something went wrong" }),
    el("p", { textContent: known ? error.message : "The page could not finish that. Please try again." }),
  );
  alert.append(text);
  container.replaceChildren(alert);
  container.dataset.state = "error";
}

/** document.createElement with properties: el("p", {className: "x", textContent: "y"}, child...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "role" || key.startsWith("aria-") || key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

export function percent(p, digits = 1) {
  return `${(100 * p).toFixed(digits)}\u00a0%`;
}
