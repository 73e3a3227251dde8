// Affiliate Matrix search page: plain JS over the JSON API (/search, /programs/{id}, /compare).
// The search state lives in the URL (/?q=vpn&network=awin&sort=score): bookmarkable, shareable,
// the back button steps through searches, and a URL opened cold shows its results.
"use strict";
// facet name (as the API returns it) -> the /search parameter that filters on it
const FACETS = {network: "network", category: "category", commission_model: "commission_model",
                approval: "approval", country: "country"};
const FACET_TITLES = {network: "Network", category: "Category", commission_model: "Commission model",
                      approval: "Approval", country: "Country"};
const PAGE = 10;
const MAX_COMPARE = 4;
const DEFAULTS = {mode: "hybrid", sort: "relevance"};  // hybrid finds most for short queries (docs/score.md)
const NUMERIC = ["min_commission", "cookie_days", "min_score"];
const state = {offset: 0, selected: {}, total: 0, minScore: "", compare: new Map()};
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const unknown = '<span class="unknown">unknown</span>';

function commissionText(h) {
  const c = h.commission || {};
  if (c.model === "percent" || c.model === "hybrid") {
    const lo = c.percent_min, hi = c.percent_max;
    if (lo != null) return (hi != null && hi !== lo ? `${lo}–${hi}` : `${lo}`) + "%" + (c.recurring ? " recurring" : "");
  }
  if (c.model === "flat" && (c.flat_min != null || c.flat_max != null)) {
    return `${c.flat_max ?? c.flat_min} ${c.currency || ""}`.trim() + " flat";
  }
  return c.raw ? esc(c.raw) : unknown;
}

// --- state <-> URL ------------------------------------------------------------------------
function stateParams() {
  const p = new URLSearchParams();
  const q = $("q").value.trim();
  if (q) p.set("q", q);
  if ($("mode").value !== DEFAULTS.mode) p.set("mode", $("mode").value);
  if ($("sort").value !== DEFAULTS.sort) p.set("sort", $("sort").value);
  for (const id of ["min_commission", "cookie_days"]) if ($(id).value !== "") p.set(id, $(id).value);
  if (state.minScore !== "") p.set("min_score", state.minScore);
  for (const [facet, values] of Object.entries(state.selected))
    for (const v of values) p.append(FACETS[facet], v);
  if (state.offset) p.set("offset", state.offset);
  return p;
}

function loadState(search) {
  const p = new URLSearchParams(search);
  $("q").value = p.get("q") || "";
  $("mode").value = p.get("mode") || DEFAULTS.mode;
  $("sort").value = p.get("sort") || DEFAULTS.sort;
  for (const id of ["min_commission", "cookie_days"]) $(id).value = p.get(id) || "";
  state.minScore = p.get("min_score") || "";
  state.offset = Math.max(0, parseInt(p.get("offset") || "0", 10) || 0);
  state.selected = {};
  for (const [facet, param] of Object.entries(FACETS)) {
    const values = p.getAll(param);
    if (values.length) state.selected[facet] = new Set(values);
  }
}

function apiParams() {
  const p = stateParams();
  p.set("mode", $("mode").value);
  p.set("sort", $("sort").value);
  p.set("offset", state.offset);
  p.set("limit", PAGE);
  return p;
}

// A new search is a new history entry; popstate (back/forward) and a cold open only re-run.
function search(push = true) {
  if (push) {
    const url = "/" + (stateParams().toString() ? "?" + stateParams().toString() : "");
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
  }
  return run();
}

async function run() {
  $("error").hidden = true;
  let data;
  try {
    const r = await fetch("/search?" + apiParams().toString());
    data = await r.json();
    if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : (data.detail || []).map((d) => d.msg).join("; "));
  } catch (e) {
    $("error").textContent = "Search failed: " + e.message;
    $("error").hidden = false;
    return;
  }
  state.total = data.total;
  renderFacets(data.facets || {});
  renderResults(data);
}

// --- facets -------------------------------------------------------------------------------
function scoreFacet(bands) {
  // bands come as "0-20": n, ... "80-100": n; shown as cumulative "score >= lo" choices
  const entries = Object.entries(bands).filter(([k]) => k !== "unknown")
    .map(([k, n]) => [parseFloat(k.split("-")[0]), n]).sort((a, b) => b[0] - a[0]);
  if (!entries.length) return "";
  let acc = 0;
  const rows = entries.map(([lo, n]) => { acc += n; return [lo, acc]; }).filter(([lo]) => lo > 0);
  const opt = (value, label, n) =>
    `<label><span><input type="radio" name="min_score" data-score="1" value="${value}" ${String(state.minScore) === String(value) ? "checked" : ""}> ${label}</span>` +
    (n == null ? "" : `<span class="count">${n}</span>`) + "</label>";
  return `<div class="facet" data-facet="score"><h3>Score</h3>` + opt("", "any", null) +
    rows.map(([lo, n]) => opt(lo, `≥ ${lo}`, n)).join("") + "</div>";
}

function renderFacets(facets) {
  const box = $("facets");
  box.innerHTML = scoreFacet(facets.score || {});
  for (const name of Object.keys(FACETS)) {
    const counts = facets[name] || {};
    const selected = state.selected[name] || new Set();
    const values = Object.entries(counts);
    for (const v of selected) if (!(v in counts)) values.push([v, 0]);
    if (!values.length) continue;
    const div = document.createElement("div");
    div.className = "facet";
    div.dataset.facet = name;
    div.innerHTML = `<h3>${FACET_TITLES[name]}</h3>` + values.slice(0, 12).map(([v, n]) =>
      `<label><span><input type="checkbox" data-facet="${esc(name)}" value="${esc(v)}" ${selected.has(v) ? "checked" : ""}> ${esc(v)}</span>` +
      `<span class="count" data-count-for="${esc(v)}">${n}</span></label>`).join("");
    box.appendChild(div);
  }
}

// --- results ------------------------------------------------------------------------------
function scoreLine(h) {
  if (h.program_score == null) return `<div class="score-line">score ${unknown}</div>`;
  const band = Math.min(4, Math.floor(h.program_score / 20));
  return `<div class="score-line"><span class="score-badge b${band}" title="program score 0–100">${Math.round(h.program_score)}</span>` +
    `<span class="conf" title="share of the score's weight backed by known terms">confidence ${Math.round(100 * (h.score_confidence || 0))}%</span>` +
    `<span class="reasons">${esc((h.score_reasons || []).join("; "))}</span>` +
    ((h.score_unknown || []).length ? `<span class="unknown"> · unknown: ${esc(h.score_unknown.join(", "))}</span>` : "") + "</div>";
}

function renderResults(data) {
  const from = data.total ? state.offset + 1 : 0, to = state.offset + data.hits.length;
  $("summary").textContent = `${data.total} programs` + (data.total ? ` — showing ${from}–${to}` : "") +
    ` · ${data.mode || $("mode").value} · index version ${data.version ?? "none"}` + (data.cached ? " · cached" : "") +
    ` · ${Math.round(data.took_ms)} ms`;
  $("results").innerHTML = data.hits.map((h) => `
    <li class="card" data-id="${esc(h.program_id)}" tabindex="0">
      <div class="head"><h2>${esc(h.name)}</h2>
        <label class="pick"><input type="checkbox" class="compare-pick" value="${esc(h.program_id)}" data-name="${esc(h.name)}"
          ${state.compare.has(h.program_id) ? "checked" : ""}> compare</label></div>
      ${h.description ? `<div class="desc">${esc(h.description.slice(0, 180))}</div>` : ""}
      <div class="terms">
        <span>network: <b>${h.networks && h.networks.length ? esc(h.networks.join(", ")) : unknown}</b></span>
        <span>commission: <b>${commissionText(h)}</b></span>
        <span>cookie: <b>${h.cookie_days != null ? esc(h.cookie_days) + " days" : unknown}</b></span>
        <span>countries: <b>${h.geo_allowed && h.geo_allowed.length ? esc(h.geo_allowed.slice(0, 8).join(", ")) : unknown}</b></span>
        ${h.epc != null ? `<span>EPC: <b>${esc(h.epc)}</b></span>` : ""}
        <span>last verified: <b>${h.last_verified ? esc(h.last_verified.slice(0, 10)) : unknown}</b></span>
      </div>
      ${scoreLine(h)}
    </li>`).join("");
  const pages = Math.max(1, Math.ceil(data.total / PAGE));
  $("page-info").textContent = `page ${Math.floor(state.offset / PAGE) + 1} of ${pages}`;
  $("prev").disabled = state.offset === 0;
  $("next").disabled = state.offset + PAGE >= data.total;
}

// --- compare (up to four, picked from results; GET /compare) -------------------------------
function renderCompareBar() {
  const n = state.compare.size;
  $("compare-bar").hidden = n === 0;
  $("compare-count").textContent = `${n} of ${MAX_COMPARE} picked: ` + [...state.compare.values()].join(", ");
  $("compare-open").disabled = n < 2;
  for (const box of document.querySelectorAll(".compare-pick"))
    box.disabled = !box.checked && n >= MAX_COMPARE;
}

function cell(c) {
  const src = c.source ? `<span class="src">${esc(c.source)}${c.age_days != null ? ` · ${c.age_days} d ago` : ""}</span>` : "";
  return `<td>${c.text != null ? esc(c.text) : unknown}${src}</td>`;
}

async function openCompare() {
  const ids = [...state.compare.keys()];
  const r = await fetch("/compare?ids=" + encodeURIComponent(ids.join(",")));
  const d = await r.json();
  if (!r.ok) { $("error").textContent = "Compare failed: " + (d.detail || []).map((x) => x.msg || x).join("; "); $("error").hidden = false; return; }
  const head = `<tr><th></th>${d.programs.map((p) => `<th>${esc(p.name)}</th>`).join("")}</tr>`;
  const score = `<tr class="score-row"><th>score</th>${d.programs.map((p) =>
    `<td><b>${p.score == null ? "unknown" : Math.round(p.score)}</b> <span class="src">confidence ${Math.round(100 * p.confidence)}%</span>` +
    `<span class="src">${esc(p.reasons.join("; "))}</span></td>`).join("")}</tr>`;
  const terms = d.terms.map((row) => `<tr data-field="${esc(row.field)}" class="${row.differs ? "differs" : ""}">` +
    `<th>${esc(row.label)}</th>${row.values.map(cell).join("")}</tr>`).join("");
  const comps = d.score.map((row) => `<tr data-component="${esc(row.component)}" class="${row.differs ? "differs" : ""}">` +
    `<th>${esc(row.component)} <span class="src">weight ${row.weight}</span></th>` +
    row.values.map((v, i) => `<td class="${row.best[i] ? "best" : ""}">${v == null ? unknown : v.toFixed(2)}` +
      `${row.reasons[i] ? `<span class="src">${esc(row.reasons[i])}</span>` : ""}</td>`).join("") + "</tr>").join("");
  $("compare-body").innerHTML = `<div class="compare-scroll"><table id="compare-table">${head}${score}` +
    `<tr><th colspan="${d.programs.length + 1}">Terms (highlighted: the programs differ)</th></tr>${terms}` +
    `<tr><th colspan="${d.programs.length + 1}">Score components (0–1; bold: best)</th></tr>${comps}</table></div>`;
  $("compare").hidden = false;
}

function fmt(v, field) {
  if (v == null || v === "" || (Array.isArray(v) && !v.length)) return unknown;
  if (field === "commission") return commissionText({commission: v});
  if (Array.isArray(v)) return esc(v.join(", "));
  if (typeof v === "object") {
    const parts = Object.entries(v).filter(([k, x]) => k !== "raw" && x != null && x !== "unknown" && !(Array.isArray(x) && !x.length))
      .map(([k, x]) => `${esc(k)}: ${esc(Array.isArray(x) ? x.join(", ") : x)}`);
    return parts.length ? parts.join("; ") : unknown;
  }
  return esc(v);
}

async function openDetail(id) {
  const r = await fetch("/programs/" + encodeURIComponent(id));
  const d = await r.json();
  if (!r.ok) { $("error").textContent = d.detail; $("error").hidden = false; return; }
  const p = d.program, prov = d.provenance || {};
  $("detail-title").textContent = p.name;
  const fields = ["networks", "category", "commission", "cookie_days", "geo_allowed", "approval", "epc",
                  "payout", "merchant_domain", "url", "signup_url", "last_verified", "description"];
  const rows = fields.map((f) => {
    const s = prov[f];
    return `<tr data-field="${f}"><th>${f}</th><td>${fmt(p[f], f)}</td>` +
      `<td class="source">${s ? esc(s.source) + ":" + esc(s.source_id) : '<span class="unknown">—</span>'}</td>` +
      `<td>${s ? esc(s.rule) : ""}</td></tr>`;
  }).join("");
  const listings = (d.listings || []).map((l) =>
    `<tr><td>${esc(l.source)}</td><td>${esc(l.source_id)}</td><td>${l.url ? esc(l.url) : unknown}</td><td>${esc((l.fetched_at || "").slice(0, 19))}</td></tr>`).join("");
  $("detail-body").innerHTML =
    `<h3>Fields and where they came from</h3><table id="provenance"><tr><th>field</th><th>value</th><th>source</th><th>rule</th></tr>${rows}</table>` +
    `<h3>Source listings (${(d.listings || []).length})</h3><table id="listings"><tr><th>source</th><th>id</th><th>url</th><th>fetched</th></tr>${listings}</table>` +
    `<h3>History</h3><div id="history"><span class="unknown">loading…</span></div>`;
  $("detail").hidden = false;
  showHistory(id);
}

// What changed in the program's terms, per ingest, and which listing said so (GET /programs/{id}/history).
async function showHistory(id) {
  const r = await fetch("/programs/" + encodeURIComponent(id) + "/history?limit=50");
  const box = $("history");
  if (!box) return;
  if (!r.ok) { box.innerHTML = '<span class="unknown">history unavailable</span>'; return; }
  const d = await r.json();
  const rows = [];
  for (const h of d.history || []) {
    for (const c of h.changes || []) {
      const src = c.source ? esc(c.source.listing || (c.source.source + ":" + c.source.source_id)) : '<span class="unknown">—</span>';
      rows.push(`<tr><td>${esc((h.recorded_at || "").slice(0, 19))}</td><td>${esc(h.ingest_version || "")}</td>` +
        `<td>${esc(c.field)}</td><td>${h.first ? '<span class="unknown">first seen</span>' : fmt(c.before, c.field)}</td>` +
        `<td>${fmt(c.after, c.field)}</td><td class="source">${src}</td></tr>`);
    }
  }
  box.innerHTML = rows.length
    ? `<table id="history-table"><tr><th>when</th><th>ingest</th><th>field</th><th>before</th><th>after</th><th>listing</th></tr>${rows.join("")}</table>`
    : '<span class="unknown">no recorded changes yet</span>';
}


$("search-form").addEventListener("submit", (e) => { e.preventDefault(); state.offset = 0; search(); });
for (const id of ["mode", "sort", "min_commission", "cookie_days"])
  $(id).addEventListener("change", () => { state.offset = 0; search(); });
$("facets").addEventListener("change", (e) => {
  const t = e.target;
  if (t.dataset.score) { state.minScore = t.value; state.offset = 0; search(); return; }
  if (!t.dataset.facet) return;
  const set = state.selected[t.dataset.facet] || (state.selected[t.dataset.facet] = new Set());
  if (t.checked) set.add(t.value); else set.delete(t.value);
  state.offset = 0;
  search();
});
$("clear").addEventListener("click", () => {
  state.selected = {}; state.minScore = ""; $("min_commission").value = ""; $("cookie_days").value = ""; state.offset = 0; search();
});
$("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); search(); });
$("next").addEventListener("click", () => { state.offset += PAGE; search(); });
$("results").addEventListener("change", (e) => {
  const t = e.target;
  if (!t.classList.contains("compare-pick")) return;
  if (t.checked && state.compare.size < MAX_COMPARE) state.compare.set(t.value, t.dataset.name);
  else { state.compare.delete(t.value); t.checked = false; }
  renderCompareBar();
});
$("results").addEventListener("click", (e) => {
  if (e.target.closest(".pick")) return;  // picking for compare is not opening the detail
  const c = e.target.closest(".card"); if (c) openDetail(c.dataset.id);
});
$("results").addEventListener("keydown", (e) => { const c = e.target.closest(".card"); if (c && e.key === "Enter" && !e.target.closest(".pick")) openDetail(c.dataset.id); });
$("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
$("detail").addEventListener("click", (e) => { if (e.target === $("detail")) $("detail").hidden = true; });
$("compare-open").addEventListener("click", openCompare);
$("compare-clear").addEventListener("click", () => {
  state.compare.clear();
  for (const box of document.querySelectorAll(".compare-pick")) box.checked = false;
  renderCompareBar();
});
$("compare-close").addEventListener("click", () => { $("compare").hidden = true; });
$("compare").addEventListener("click", (e) => { if (e.target === $("compare")) $("compare").hidden = true; });
window.addEventListener("popstate", () => { loadState(location.search); run(); });
// narrow screens: filters start collapsed above the results
if (window.matchMedia("(max-width: 720px)").matches) $("filters").open = false;
loadState(location.search);
run();
