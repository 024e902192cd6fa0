/**
 * The static, self-contained HTML report: configuration, metric tables, inline SVG charts, and a
 * chain viewer. Everything shown comes from model inputs and outputs, i.e. untrusted text: the
 * page embeds it as JSON (with `<` escaped so nothing can close the script element) and its script
 * writes it only through `textContent`, never as HTML.
 */
import type { RunRecord } from "../store/run-store.js";
import type { ViewerItem } from "./report-data.js";

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON safe inside <script>: no `<`, no line separators that end JS strings in old engines. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const CSS = `
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #dde1e7;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;border:1px solid #dde1e7;padding:8px}
.chart h3{font-size:14px;margin:0 0 6px}pre{background:#fff;border:1px solid #dde1e7;padding:8px;font-size:12px;white-space:pre-wrap;max-height:320px;overflow:auto}
#rows tr{cursor:pointer}#rows tr:hover{background:#eef4ff}#rows tr.sel{background:#dbe8ff}
.ok{color:#17813a}.bad{color:#c62828}.un{color:#888}.v-correct{background:#d8f5df}.v-incorrect{background:#ffd9d9}
.controls{margin:8px 0;display:flex;gap:12px;align-items:center}#detail{margin-top:12px}.muted{color:#667}
`;

const SCRIPT = `
(function(){
  var items = JSON.parse(document.getElementById("items").textContent);
  var rows = document.getElementById("rows"), filter = document.getElementById("filter"), count = document.getElementById("count");
  var detail = document.getElementById("detail");
  function el(tag, text, cls){ var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function keep(it){
    var f = filter.value;
    if (f === "errors") return it.decision === "no" || !it.valid;
    if (f === "disagreements") return it.disagrees;
    if (f === "invalid") return !it.valid;
    return true;
  }
  function mark(v){ return v === "correct" ? ["\\u2713","ok"] : v === "incorrect" ? ["\\u2717","bad"] : ["\\u00b7","un"]; }
  function show(it, tr){
    Array.prototype.forEach.call(rows.children, function(r){ r.classList.remove("sel"); });
    tr.classList.add("sel");
    detail.textContent = "";
    detail.appendChild(el("h3", it.key + " \\u2014 score " + (it.score === null ? "none" : it.score.toFixed(4))));
    detail.appendChild(el("p", it.problem));
    var ol = el("ol");
    it.steps.forEach(function(s, i){
      var li = el("li"); var m = mark(it.stepVerdicts[i]);
      li.appendChild(el("span", m[0] + " ", m[1])); li.appendChild(el("span", s));
      if (it.goldFirstError === i) li.appendChild(el("strong", "  \\u2190 gold first error", "bad"));
      ol.appendChild(li);
    });
    detail.appendChild(ol);
    it.issues.forEach(function(x){ detail.appendChild(el("p", x, "bad")); });
    var pre = el("pre"); pre.className = "chain";
    var re = /\\\\boxed\\s*\\{\\s*(?:\\\\text\\s*\\{\\s*)?(correct|incorrect)\\s*\\}?\\s*\\}/gi, last = 0, m;
    while ((m = re.exec(it.chain)) !== null){
      pre.appendChild(document.createTextNode(it.chain.slice(last, m.index)));
      pre.appendChild(el("span", m[0], "v-" + m[1].toLowerCase()));
      last = m.index + m[0].length;
    }
    pre.appendChild(document.createTextNode(it.chain.slice(last)));
    detail.appendChild(el("h4", "verification chain"));
    detail.appendChild(pre);
  }
  function render(){
    rows.textContent = "";
    var shown = items.filter(keep);
    shown.forEach(function(it){
      var tr = el("tr");
      tr.appendChild(el("td", it.key));
      tr.appendChild(el("td", it.score === null ? "\\u2014" : it.score.toFixed(3)));
      tr.appendChild(el("td", it.decision === null ? "invalid" : it.decision, it.decision === "yes" ? "ok" : "bad"));
      var v = el("td"); it.stepVerdicts.forEach(function(s){ var m = mark(s); v.appendChild(el("span", m[0], m[1])); }); tr.appendChild(v);
      tr.appendChild(el("td", String(it.firstIncorrectStep)));
      tr.appendChild(el("td", it.goldFirstError === null ? "\\u2014" : String(it.goldFirstError)));
      tr.appendChild(el("td", String(it.generatedTokens)));
      tr.addEventListener("click", function(){ show(it, tr); });
      rows.appendChild(tr);
    });
    count.textContent = shown.length + " of " + items.length + " shown";
  }
  filter.addEventListener("change", render);
  render();
})();
`;

export interface ReportPage {
  runs: RunRecord[];
  metrics: [string, string][];
  charts: { id: string; title: string; svg: string }[];
  items: ViewerItem[];
}

export function buildReportHtml(page: ReportPage): string {
  const title = `thinkprm report — ${page.runs.map((r) => r.id).join(", ")}`;
  const runRows = page.runs
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.command)}</td><td>${escapeHtml(r.status)}</td><td>${r.itemsDone}/${r.itemsTotal ?? "?"}</td><td>${r.promptTokens + r.reusedTokens}</td><td>${r.generatedTokens}</td><td>${r.invalid}</td><td>${(r.elapsedMs / 1000).toFixed(1)} s</td><td>${escapeHtml(r.createdAt)}</td></tr>`,
    )
    .join("");
  const metricRows = page.metrics
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("");
  const charts = page.charts
    .map(
      (c) =>
        `<div class="chart" id="chart-${escapeHtml(c.id)}"><h3>${escapeHtml(c.title)}</h3>${c.svg}</div>`,
    )
    .join("");
  const configs = page.runs
    .map((r) => `<h3>${escapeHtml(r.id)}</h3><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
<h1>thinkprm report</h1><p class="muted">${escapeHtml(new Date().toISOString())}</p>
<h2>Runs</h2>
<table><thead><tr><th>run</th><th>command</th><th>status</th><th>items</th><th>prompt tokens</th><th>generated</th><th>invalid chains</th><th>time</th><th>created</th></tr></thead><tbody>${runRows}</tbody></table>
<h2>Metrics</h2><table><tbody>${metricRows}</tbody></table>
<h2>Plots</h2><div class="charts">${charts || '<p class="muted">no data to plot</p>'}</div>
<h2>Chain viewer</h2>
<div class="controls"><label>show <select id="filter"><option value="all">all</option><option value="errors">judged incorrect or invalid</option><option value="disagreements">disagreements with gold</option><option value="invalid">invalid</option></select></label><span id="count"></span></div>
<table><thead><tr><th>item</th><th>score</th><th>decision</th><th>steps</th><th>first error</th><th>gold</th><th>tokens</th></tr></thead><tbody id="rows"></tbody></table>
<div id="detail"></div>
<h2>Configuration</h2>${configs}
<script id="items" type="application/json">${scriptJson(page.items)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
