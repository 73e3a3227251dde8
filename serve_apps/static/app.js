// Affiliate Matrix search page: plain JS over the JSON API (/search, /programs/{id}).
"use strict";
// facet name (as the API returns it) -> the /search parameter that filters on it
const FACETS = {network: "network", category: "category", commission_model: "commission_model",
                approval: "approval", country: "country"};
const FACET_TITLES = {network: "Network", category: "Category", commission_model: "Commission model",
                      approval: "Approval", country: "Country"};
const PAGE = 10;
const state = {offset: 0, selected: {}, total: 0};
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

function params() {
  const p = new URLSearchParams();
  const q = $("q").value.trim();
  if (q) p.set("q", q);
  p.set("mode", $("mode").value);
  p.set("sort", $("sort").value);
  for (const id of ["min_commission", "cookie_days"]) if ($(id).value !== "") p.set(id, $(id).value);
  for (const [facet, values] of Object.entries(state.selected))
    for (const v of values) p.append(FACETS[facet], v);
  p.set("offset", state.offset);
  p.set("limit", PAGE);
  return p;
}

async function run() {
  $("error").hidden = true;
  let data;
  try {
    const r = await fetch("/search?" + params().toString());
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

function renderFacets(facets) {
  const box = $("facets");
  box.innerHTML = "";
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

function renderResults(data) {
  const from = data.total ? state.offset + 1 : 0, to = state.offset + data.hits.length;
  $("summary").textContent = `${data.total} programs` + (data.total ? ` — showing ${from}–${to}` : "") +
    ` · index version ${data.version ?? "none"}` + (data.cached ? " · cached" : "") + ` · ${Math.round(data.took_ms)} ms`;
  $("results").innerHTML = data.hits.map((h) => `
    <li class="card" data-id="${esc(h.program_id)}" tabindex="0">
      <h2>${esc(h.name)}</h2>
      ${h.description ? `<div class="desc">${esc(h.description.slice(0, 180))}</div>` : ""}
      <div class="terms">
        <span>network: <b>${h.networks && h.networks.length ? esc(h.networks.join(", ")) : unknown}</b></span>
        <span>commission: <b>${commissionText(h)}</b></span>
        <span>cookie: <b>${h.cookie_days != null ? esc(h.cookie_days) + " days" : unknown}</b></span>
        <span>countries: <b>${h.geo_allowed && h.geo_allowed.length ? esc(h.geo_allowed.slice(0, 8).join(", ")) : unknown}</b></span>
        ${h.epc != null ? `<span>EPC: <b>${esc(h.epc)}</b></span>` : ""}
        <span>last verified: <b>${h.last_verified ? esc(h.last_verified.slice(0, 10)) : unknown}</b></span>
      </div>
    </li>`).join("");
  const pages = Math.max(1, Math.ceil(data.total / PAGE));
  $("page-info").textContent = `page ${Math.floor(state.offset / PAGE) + 1} of ${pages}`;
  $("prev").disabled = state.offset === 0;
  $("next").disabled = state.offset + PAGE >= data.total;
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
    `<h3>Source listings (${(d.listings || []).length})</h3><table id="listings"><tr><th>source</th><th>id</th><th>url</th><th>fetched</th></tr>${listings}</table>`;
  $("detail").hidden = false;
}

$("search-form").addEventListener("submit", (e) => { e.preventDefault(); state.offset = 0; run(); });
for (const id of ["mode", "sort", "min_commission", "cookie_days"])
  $(id).addEventListener("change", () => { state.offset = 0; run(); });
$("facets").addEventListener("change", (e) => {
  const t = e.target;
  if (!t.dataset.facet) return;
  const set = state.selected[t.dataset.facet] || (state.selected[t.dataset.facet] = new Set());
  if (t.checked) set.add(t.value); else set.delete(t.value);
  state.offset = 0;
  run();
});
$("clear").addEventListener("click", () => { state.selected = {}; $("min_commission").value = ""; $("cookie_days").value = ""; state.offset = 0; run(); });
$("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); run(); });
$("next").addEventListener("click", () => { state.offset += PAGE; run(); });
$("results").addEventListener("click", (e) => { const c = e.target.closest(".card"); if (c) openDetail(c.dataset.id); });
$("results").addEventListener("keydown", (e) => { const c = e.target.closest(".card"); if (c && e.key === "Enter") openDetail(c.dataset.id); });
$("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
$("detail").addEventListener("click", (e) => { if (e.target === $("detail")) $("detail").hidden = true; });
run();
