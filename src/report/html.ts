/**
 * The static, self-contained HTML report: run and metric tables (a column per run), inline SVG
 * charts, and the chain viewer. Everything shown comes from model inputs and outputs, i.e.
 * untrusted text: the page escapes what it writes as HTML here, embeds the viewer's data as JSON
 * (with `<` escaped so nothing can close the script element), and its script writes that data
 * only through DOM calls (page-script.ts). A Content-Security-Policy allows only the page's own
 * two scripts (by hash), inline styles and data: fonts: no request leaves the page, and markup
 * that somehow got in could run nothing.
 */
import { createHash } from "node:crypto";
import type { ChartSpec } from "./charts.js";
import { katexAssets } from "./katex-assets.js";
import { PAGE_SCRIPT } from "./page-script.js";
import { PAGE_CSS } from "./page-style.js";
import type { ReportRun } from "./report-data.js";
import type { TableRow } from "./report-tables.js";

export const escapeHtml = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

/** JSON safe inside <script>: no `<`, no line separators that end JS strings in old engines. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const scriptHash = (source: string) => `'sha256-${createHash("sha256").update(source).digest("base64")}'`;

export interface ReportPage {
  runs: ReportRun[];
  runRows: TableRow[];
  metricRows: TableRow[];
  charts: (ChartSpec & { svg: string })[];
  /** When the page was made (ISO time). */
  generatedAt: string;
  /** A table leading the page (a recipe's result): a title, a header row, rows of cells. */
  summary?: { title: string; header: string[]; rows: string[][]; note?: string };
}

function summaryTable(s: NonNullable<ReportPage["summary"]>): string {
  const head = s.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = s.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("");
  const note = s.note ? `<p class="note">${escapeHtml(s.note)}</p>` : "";
  return `<h2 id="summary">${escapeHtml(s.title)}</h2>${note}<table class="by-run" id="summary-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function chip(colour: string): string {
  return `<span class="chip" style="background:${escapeHtml(colour)}"></span>`;
}

/** A table with one column per run, headed by the run's id in its colour. */
function byRunTable(runs: ReportRun[], rows: TableRow[], id: string): string {
  const head = runs.map((r) => `<th>${chip(r.colour)}${escapeHtml(r.record.id)}</th>`).join("");
  const body = rows
    .map(
      (row) =>
        `<tr><th>${escapeHtml(row.label)}</th>${row.values.map((v) => `<td>${v === null ? '<span class="muted">—</span>' : escapeHtml(v)}</td>`).join("")}</tr>`,
    )
    .join("");
  return `<table class="by-run" id="${id}"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function chartCard(c: ChartSpec & { svg: string }, runs: ReportRun[]): string {
  const colour = c.run === undefined ? undefined : runs.find((r) => r.record.id === c.run)?.colour;
  const note = c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : "";
  return `<div class="chart" id="chart-${escapeHtml(c.id)}"><h3>${colour ? chip(colour) : ""}${escapeHtml(c.title)}</h3>${note}${c.svg}</div>`;
}

export function buildReportHtml(page: ReportPage): string {
  const { runs } = page;
  const katex = katexAssets();
  const title = `thinkprm report — ${runs.map((r) => r.record.id).join(", ")}`;
  const items = runs.flatMap((r) => r.items);
  const chains = items.reduce((s, i) => s + i.chains.length, 0);
  const data = {
    runs: runs.map((r) => ({ id: r.record.id, colour: r.colour })),
    items,
  };
  const csp = [
    "default-src 'none'",
    `script-src ${scriptHash(katex.script)} ${scriptHash(PAGE_SCRIPT)}`,
    "style-src 'unsafe-inline'",
    "font-src data:",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const runOptions =
    runs.length > 1
      ? `<label>run <select id="run-filter"><option value="all">all runs</option>${runs
          .map((r) => `<option value="${escapeHtml(r.record.id)}">${escapeHtml(r.record.id)}</option>`)
          .join("")}</select></label>`
      : "";
  const configs = runs
    .map(
      (r) =>
        `<h3>${chip(r.colour)}${escapeHtml(r.record.id)}</h3><pre>${escapeHtml(JSON.stringify(r.record.config, null, 2))}</pre>`,
    )
    .join("");
  const charts = page.charts.map((c) => chartCard(c, runs)).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<title>${escapeHtml(title)}</title><style>${katex.css}</style><style>${PAGE_CSS}</style></head>
<body>
<h1>thinkprm report</h1>
<p class="muted">${runs.length} run${runs.length === 1 ? "" : "s"} · ${items.length} verified item${items.length === 1 ? "" : "s"} · ${chains} chain${chains === 1 ? "" : "s"} · made ${escapeHtml(page.generatedAt)} · math by KaTeX ${escapeHtml(katex.version)}</p>
<nav><a href="#runs">Runs</a><a href="#metrics">Metrics</a><a href="#plots">Plots</a><a href="#chains">Chains</a><a href="#configuration">Configuration</a></nav>
${page.summary ? summaryTable(page.summary) : ""}
<h2 id="runs">Runs</h2>${byRunTable(runs, page.runRows, "run-table")}
<h2 id="metrics">Metrics</h2>${page.metricRows.length > 0 ? byRunTable(runs, page.metricRows, "metric-table") : '<p class="muted">no metrics stored</p>'}
<h2 id="plots">Plots</h2><div class="charts">${charts || '<p class="muted">no data to plot</p>'}</div>
<h2 id="chains">Chains</h2>
<div class="controls"><label>show <select id="filter"><option value="all">all</option><option value="errors">judged incorrect or invalid</option><option value="disagreements">disagreements with gold</option><option value="invalid">invalid</option></select></label>${runOptions}<label>find <input id="find" type="search" placeholder="item or problem text"></label><span id="count" class="muted"></span></div>
<div class="viewer"><div class="list"><table><thead><tr><th>item</th><th>score</th><th title="majority verdict per step; underlined: the gold first error">step verdicts</th><th title="first incorrect step: predicted / gold">first error</th><th>valid chains</th><th>tokens</th></tr></thead><tbody id="rows"></tbody></table></div>
<article id="detail"><p class="placeholder">Click a row (or focus it and press Enter; ↑/↓ move) to see its problem, its solution with the verdict on each step, and every verification chain.</p></article></div>
<h2 id="configuration">Configuration</h2>${configs}
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${katex.script}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
