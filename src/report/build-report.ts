/** Assembles a report from stored runs: the viewer's items, the tables, the charts as SVG, the page. */
import type { RunRecord, RunStore } from "../store/run-store.js";
import { renderSvg } from "./chart-render.js";
import type { ChartSpec } from "./charts.js";
import { buildReportHtml, type ReportPage } from "./html.js";
import { reportRuns } from "./report-data.js";
import { plotsFor } from "./report-plots.js";
import { metricTable, runTable } from "./report-tables.js";

export interface BuiltReport {
  html: string;
  charts: (ChartSpec & { svg: string })[];
}

export async function buildReport(
  store: RunStore,
  records: RunRecord[],
  options: {
    generatedAt?: string;
    /** A table leading the page (a recipe's result). */
    summary?: ReportPage["summary"];
    /** Plots made by the caller (a recipe's comparison across runs), shown before the runs' own. */
    charts?: ChartSpec[];
  } = {},
): Promise<BuiltReport> {
  const runs = reportRuns(records.map((record) => ({ record, results: store.results(record.id) })));
  const charts = [];
  for (const c of [...(options.charts ?? []), ...plotsFor(runs)])
    charts.push({ ...c, svg: await renderSvg(c) });
  const html = buildReportHtml({
    runs,
    runRows: runTable(runs),
    metricRows: metricTable(runs),
    charts,
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    ...(options.summary ? { summary: options.summary } : {}),
  });
  return { html, charts };
}
