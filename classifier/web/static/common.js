/* Shared by both views: the page's settings, calls to the /v1 API, errors in words. */
"use strict";

const PAGE = JSON.parse(document.getElementById("page-data").textContent);

const LABEL_NAMES = { adoption: "Adoption", neutral: "Neutral", restriction: "Restriction" };
const LABEL_ICONS = { adoption: "▲", neutral: "●", restriction: "▼" };

/** fetch() against this server's API, with the API key when the server asks for one. */
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const key = document.getElementById("api-key");
  if (key && key.value) headers["X-API-Key"] = key.value;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new Error(`The server could not be reached (${error.message}). Is regstance serve still running?`);
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      /* not JSON: say what the status means */
    }
    throw new Error(problemText(response.status, body));
  }
  return response;
}

/** An API error as a sentence: the detail the server sent, without the validator's jargon. */
function problemText(status, body) {
  const detail = body && body.detail;
  let words;
  if (Array.isArray(detail)) {
    words = detail
      .map((e) => String(e.msg || e).replace(/^Value error, /, "").replace(/`/g, ""))
      .join("; ");
  } else if (detail) {
    words = String(detail).replace(/`/g, "");
  }
  const lead = {
    401: "The server needs its API key",
    404: "Not found",
    413: "Too long for the server",
    422: "The server could not read that",
  }[status] || `The server answered with an error (${status})`;
  return words ? `${lead}: ${words}.` : `${lead}.`;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = false;
  document.getElementById("status").textContent = "";
}

function clearError() {
  const box = document.getElementById("error");
  box.hidden = true;
  box.textContent = "";
}

function percent(value, digits = 1) {
  return `${(100 * value).toFixed(digits)}%`;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
