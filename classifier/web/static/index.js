/* The stance-index view: /v1/index as an SVG chart (net index over counts by label), a table and a CSV. */
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const ORDER = ["restriction", "neutral", "adoption"]; // bottom to top in the bars
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const PERIOD_WORDS = { D: "Day", W: "Week of", M: "Month of" };

const filters = document.getElementById("index-form");
const chart = document.getElementById("chart");
const tooltip = document.getElementById("tooltip");
let shown = null; // the last /v1/index answer
let active = -1; // the period read by hover or keys

function query() {
  const params = new URLSearchParams();
  for (const name of ["freq", "outlet", "jurisdiction"]) {
    const field = filters.elements[name];
    if (field && field.value) params.set(name, field.value);
  }
  return params.toString();
}

async function load() {
  clearError();
  document.getElementById("status").textContent = "Counting…";
  try {
    const response = await api(`/v1/index?${query()}`);
    shown = await response.json();
    active = -1;
    draw();
    describe();
    document.getElementById("status").textContent = `Showing ${shown.rows.length} periods.`;
  } catch (error) {
    showError(error.message);
  }
}

filters.addEventListener("change", load);
filters.addEventListener("submit", (event) => event.preventDefault());
window.addEventListener("resize", () => shown && draw());

document.getElementById("download").addEventListener("click", async () => {
  clearError();
  try {
    const response = await api(`/v1/index.csv?${query()}`);
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name ? name[1] : "index.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    showError(error.message);
  }
});

function day(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function nextPeriod(date, freq) {
  const next = new Date(date);
  if (freq === "M") next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCDate(next.getUTCDate() + (freq === "W" ? 7 : 1));
  return next;
}

function periodName(iso, freq) {
  const d = day(iso);
  const month = MONTHS[d.getUTCMonth()];
  if (freq === "M") return `${PERIOD_WORDS.M} ${month} ${d.getUTCFullYear()}`;
  return `${PERIOD_WORDS[freq]} ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
}

function signed(value) {
  return `${value > 0 ? "+" : value < 0 ? "−" : ""}${Math.abs(value).toFixed(3)}`;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function draw() {
  const rows = shown.rows;
  const freq = shown.freq;
  chart.replaceChildren();
  if (!rows.length) {
    chart.append(el("p", { class: "notice", text: "No dated articles match these filters." }));
    return;
  }
  const width = Math.max(chart.clientWidth, 280);
  const height = width < 500 ? 300 : 380;
  const m = { left: 44, right: 10, top: 12, bottom: 26, gap: 18 };
  const netHeight = (height - m.top - m.bottom - m.gap) * 0.58;
  const barTop = m.top + netHeight + m.gap;
  const barHeight = height - m.bottom - barTop;

  const starts = rows.map((r) => day(r.period));
  const t0 = starts[0].getTime();
  const t1 = nextPeriod(starts[starts.length - 1], freq).getTime();
  const x = (t) => m.left + ((t - t0) / (t1 - t0)) * (width - m.left - m.right);
  const extent = Math.max(0.1, ...rows.filter((r) => r.n >= shown.min_n).map((r) => Math.abs(r.net_index)));
  const top = Math.ceil(extent * 10) / 10;
  const yNet = (v) => m.top + ((top - v) / (2 * top)) * netHeight;
  const most = Math.max(...rows.map((r) => r.n));
  const yBar = (v) => barTop + barHeight - (v / most) * barHeight;

  const root = svg("svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Net stance index and article counts per ${freq === "D" ? "day" : freq === "W" ? "week" : "month"}`,
  });
  // axes and grid
  for (const v of [top, top / 2, 0, -top / 2, -top]) {
    root.append(svg("line", { x1: m.left, x2: width - m.right, y1: yNet(v), y2: yNet(v), class: v === 0 ? "zero" : "grid" }));
    root.append(svg("text", { x: m.left - 6, y: yNet(v) + 4, class: "tick end" }, v === 0 ? "0" : signed(v).slice(0, -1)));
  }
  root.append(svg("text", { x: m.left + 4, y: m.top + 10, class: "axis-title" }, "net index"));
  for (const v of [0, Math.round(most / 2), most]) {
    root.append(svg("line", { x1: m.left, x2: width - m.right, y1: yBar(v), y2: yBar(v), class: "grid" }));
    root.append(svg("text", { x: m.left - 6, y: yBar(v) + 4, class: "tick end" }, v.toLocaleString("en")));
  }
  root.append(svg("text", { x: m.left + 4, y: barTop - 4, class: "axis-title" }, "articles"));

  // bars: one stack per period
  rows.forEach((r, i) => {
    const left = x(starts[i].getTime());
    const w = Math.max(1, x(nextPeriod(starts[i], freq).getTime()) - left - 1);
    let base = 0;
    for (const name of ORDER) {
      if (r[name] === 0) continue;
      root.append(svg("rect", { x: left, width: w, y: yBar(base + r[name]), height: yBar(base) - yBar(base + r[name]), class: `bar-${name}` }));
      base += r[name];
    }
  });

  // net index: a line through the periods with enough articles, broken across gaps and thin periods
  const mid = (i) => (x(starts[i].getTime()) + x(nextPeriod(starts[i], freq).getTime())) / 2;
  let path = "";
  let previous = null;
  rows.forEach((r, i) => {
    if (r.n < shown.min_n) {
      previous = null;
      return;
    }
    const adjacent = previous !== null && nextPeriod(starts[previous], freq).getTime() === starts[i].getTime();
    path += `${adjacent ? "L" : "M"}${mid(i).toFixed(1)},${yNet(r.net_index).toFixed(1)}`;
    previous = i;
  });
  root.append(svg("path", { d: path, class: "net-line" }));
  rows.forEach((r, i) => {
    if (r.n < shown.min_n) return;
    const up = r.net_index >= 0;
    root.append(svg("circle", { cx: mid(i), cy: yNet(r.net_index), r: 3.5, class: up ? "net-up" : "net-down" }));
  });

  // time axis: about six labels
  const step = Math.max(1, Math.ceil(rows.length / Math.max(2, Math.floor(width / 110))));
  for (let i = 0; i < rows.length; i += step) {
    const d = starts[i];
    const label = freq === "M" ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
    root.append(svg("text", { x: mid(i), y: height - 8, class: "tick middle" }, label));
  }

  // hover bands, one per period, over the whole height
  const cursor = svg("rect", { class: "cursor", y: m.top, height: height - m.top - m.bottom, x: 0, width: 0, visibility: "hidden" });
  root.append(cursor);
  rows.forEach((r, i) => {
    const left = x(starts[i].getTime());
    const band = svg("rect", {
      x: left,
      width: Math.max(2, x(nextPeriod(starts[i], freq).getTime()) - left),
      y: m.top,
      height: height - m.top - m.bottom,
      class: "band",
      "data-index": i,
    });
    band.addEventListener("mouseenter", () => focusPeriod(i));
    root.append(band);
  });
  root.addEventListener("mouseleave", () => focusPeriod(-1));
  chart.append(root);
  chart.cursor = cursor;
  chart.geometry = { x, starts, freq, width };
  if (active >= 0) focusPeriod(active);
}

function focusPeriod(i) {
  active = i;
  const cursor = chart.cursor;
  if (i < 0 || !shown || i >= shown.rows.length) {
    tooltip.hidden = true;
    if (cursor) cursor.setAttribute("visibility", "hidden");
    return;
  }
  const r = shown.rows[i];
  const { x, starts, freq, width } = chart.geometry;
  const left = x(starts[i].getTime());
  cursor.setAttribute("x", left);
  cursor.setAttribute("width", Math.max(2, x(nextPeriod(starts[i], freq).getTime()) - left));
  cursor.setAttribute("visibility", "visible");
  tooltip.replaceChildren(
    el("strong", { text: periodName(r.period, freq) }),
    el("span", { text: `${r.n.toLocaleString("en")} articles` }),
    ...["adoption", "neutral", "restriction"].map((name) =>
      el("span", { class: `key-${name}`, text: `${LABEL_ICONS[name]} ${name} ${r[name].toLocaleString("en")} (${percent(r[`share_${name}`])})` }),
    ),
    el("span", {
      class: "net",
      text: r.n >= shown.min_n ? `net index ${signed(r.net_index)}` : `net index ${signed(r.net_index)} (too few articles to plot)`,
    }),
  );
  tooltip.hidden = false;
  // beside the period's band, on whichever side has room
  const right = x(nextPeriod(starts[i], freq).getTime());
  const box = tooltip.getBoundingClientRect();
  const beside = right + 8 + box.width <= width ? right + 8 : Math.max(0, left - 8 - box.width);
  tooltip.style.left = `${beside}px`;
  tooltip.style.top = "8px";
  document.getElementById("announce").textContent = [...tooltip.children].map((c) => c.textContent).join(", ");
}

chart.addEventListener("keydown", (event) => {
  if (!shown || !shown.rows.length) return;
  const last = shown.rows.length - 1;
  const moves = { ArrowRight: active + 1, ArrowLeft: active < 0 ? last : active - 1, Home: 0, End: last };
  if (!(event.key in moves)) return;
  event.preventDefault();
  focusPeriod(Math.min(last, Math.max(0, moves[event.key])));
});
chart.addEventListener("blur", () => focusPeriod(-1));

function describe() {
  document.getElementById("min-n").textContent = shown.min_n;
  const filtersText = [shown.outlet && `outlet ${shown.outlet}`, shown.jurisdiction && `jurisdiction ${shown.jurisdiction}`]
    .filter(Boolean)
    .join(", ");
  const undated = shown.undated ? ` ${shown.undated.toLocaleString("en")} rows without a usable date are left out.` : "";
  document.getElementById("summary").textContent =
    `${shown.articles.toLocaleString("en")} articles${filtersText ? ` (${filtersText})` : ""} in ` +
    `${shown.rows.length} periods.${undated}`;
  const head = el("tr", {}, ...["period", "articles", "adoption", "neutral", "restriction", "net index"].map((h) => el("th", { scope: "col", text: h })));
  const body = shown.rows.map((r) =>
    el(
      "tr",
      {},
      el("th", { scope: "row", text: r.period }),
      ...[r.n, r.adoption, r.neutral, r.restriction].map((v) => el("td", { text: v.toLocaleString("en") })),
      el("td", { text: signed(r.net_index) }),
    ),
  );
  document.getElementById("table").replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

load();
