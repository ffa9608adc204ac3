/* The classify view: send the article to /v1/classify?spans=true, show the answer and its evidence. */
"use strict";

const REASONS = {
  markup: "HTML markup",
  teaser: "a teaser of other stories, and everything after it",
  boilerplate: "publisher boilerplate",
  url: "a link",
  past_lead: "past the first 1,500 characters the model reads",
};
const SHORT_REASONS = {
  markup: "markup",
  teaser: "teaser",
  boilerplate: "boilerplate",
  url: "link",
  past_lead: "past the lead",
};

const form = document.getElementById("classify-form");
const button = document.getElementById("classify-button");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const headline = form.elements.headline.value;
  const body = form.elements.body.value;
  // With no headline the pasted text is sent whole: the server reads its first line as the headline.
  const article = headline.trim() ? { headline, body } : { text: body };
  button.disabled = true;
  document.getElementById("status").textContent = "Reading the article…";
  try {
    const response = await api("/v1/classify?spans=true", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(article),
    });
    render(article, await response.json());
    document.getElementById("status").textContent = "Done: the answer is below.";
    document.getElementById("result-heading").focus();
  } catch (error) {
    document.getElementById("result").hidden = true;
    showError(error.message);
  } finally {
    button.disabled = false;
  }
});

document.getElementById("clear-button").addEventListener("click", () => {
  form.reset();
  clearError();
  document.getElementById("result").hidden = true;
  document.getElementById("status").textContent = "";
  form.elements.body.focus();
});

function render(article, out) {
  const label = document.getElementById("label");
  label.className = `label label-${out.label}`;
  label.replaceChildren(
    el("span", { class: "icon", "aria-hidden": "true", text: LABEL_ICONS[out.label] }),
    ` ${LABEL_NAMES[out.label]}`,
  );
  document.getElementById("definition").textContent = PAGE.label_definitions[out.label] || "";

  const sure = percent(out.confidence);
  document.getElementById("confidence").textContent = out.uncertain
    ? `The model is unsure: its top probability is ${sure}, below the ${percent(PAGE.uncertain_below, 0)} ` +
      "at which it counts itself sure. Read the article before relying on the label."
    : `The model is sure: ${sure} for ${out.label}.`;
  document.getElementById("confidence").className = out.uncertain ? "unsure" : "sure";

  renderWhere(out);
  renderBars(out);
  renderArticle(article, out.evidence_spans || []);
  const terms = out.evidence || [];
  document.getElementById("terms").textContent = terms.length
    ? `Terms that pushed hardest toward ${out.label}: ${terms.join(", ")}.`
    : "";
  document.getElementById("result").hidden = false;
}

/** Jurisdiction and authority, when the server reports them; the line is left out when it does not. */
function renderWhere(out) {
  const where = document.getElementById("where");
  if (!("jurisdiction" in out) && !("authority" in out)) {
    where.hidden = true;
    return;
  }
  const parts = [];
  if (out.jurisdiction && out.jurisdiction !== "none") {
    const name = out.jurisdiction_name && out.jurisdiction_name !== out.jurisdiction ? out.jurisdiction_name : "";
    parts.push(`Where: ${name ? `${name} (${out.jurisdiction})` : out.jurisdiction}`);
  } else if ("jurisdiction" in out) {
    parts.push("Where: no jurisdiction named");
  }
  if (out.authority && out.authority !== "none") parts.push(`Authority: ${out.authority}`);
  else if ("authority" in out) parts.push("Authority: none named");
  where.textContent = `${parts.join(" · ")}.`;
  where.hidden = false;
}

function renderBars(out) {
  const list = document.getElementById("probabilities");
  list.replaceChildren(
    ...PAGE.classes.map((name) => {
      const p = out.probabilities[name];
      const fill = el("span", { class: `fill fill-${name}` });
      fill.style.width = percent(p, 2);
      return el(
        "li",
        { class: name === out.label ? "bar top" : "bar" },
        el("span", { class: "bar-name" }, el("span", { "aria-hidden": "true", text: `${LABEL_ICONS[name]} ` }), name),
        el("span", { class: "track", "aria-hidden": "true" }, fill),
        el("span", { class: "bar-value", text: percent(p) }),
      );
    }),
  );
}

/** The submitted text, each field as sent, with its spans: offsets count code points (Array.from). */
function renderArticle(article, spans) {
  const host = document.getElementById("article");
  host.replaceChildren();
  const ranks = new Map(
    spans.filter((s) => s.kind === "sentence").map((s, i) => [s, i + 1]), // strongest first
  );
  const fields = "text" in article ? [["text", article.text]] : [["headline", article.headline], ["body", article.body]];
  for (const [field, text] of fields) {
    if (!text) continue;
    const block = el("div", { class: `article-${field}`, "data-field": field });
    renderField(block, text, spans.filter((s) => s.field === field), ranks);
    host.append(block);
  }
}

function renderField(block, text, spans, ranks) {
  const chars = Array.from(text);
  const sentences = spans.filter((s) => s.kind === "sentence").sort((a, b) => a.start - b.start);
  const inline = spans.filter((s) => s.kind !== "sentence");
  const seen = new Set();
  let cursor = 0;
  for (const sentence of sentences) {
    if (sentence.start > cursor) appendInline(block, chars, cursor, sentence.start, inline, seen);
    const rank = ranks.get(sentence);
    const mark = el("mark", {
      "data-rank": String(rank),
      title: `No. ${rank}: without this sentence the log-odds of the label fall by ${sentence.weight.toFixed(2)}`,
    });
    appendInline(mark, chars, sentence.start, sentence.end, inline, seen);
    block.append(mark);
    cursor = Math.max(cursor, sentence.end);
  }
  if (cursor < chars.length) appendInline(block, chars, cursor, chars.length, inline, seen);
}

/** chars[start:end] into host, with terms in <strong> and dropped ranges greyed and tagged "not read". */
function appendInline(host, chars, start, end, spans, seen) {
  const cuts = new Set([start, end]);
  for (const s of spans) {
    if (s.end > start && s.start < end) {
      cuts.add(Math.max(s.start, start));
      cuts.add(Math.min(s.end, end));
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    let node = document.createTextNode(chars.slice(a, b).join(""));
    const term = spans.find((s) => s.kind === "term" && s.start <= a && b <= s.end);
    const dropped = spans.find((s) => s.kind === "dropped" && s.start <= a && b <= s.end);
    if (term) node = el("strong", { class: "term", title: `evidence term: ${term.text}` }, node);
    if (dropped) {
      if (!seen.has(dropped)) {
        seen.add(dropped);
        host.append(el("span", { class: "not-read", text: `not read: ${SHORT_REASONS[dropped.reason]}` }));
      }
      node = el("span", { class: "dropped", "data-reason": dropped.reason, title: `Not read: ${REASONS[dropped.reason]}` }, node);
    }
    host.append(node);
  }
}
