/** Assembles a report from stored runs: rows, metrics, charts rendered to SVG, the page. */
import type { RunRecord, RunStore } from "../store/run-store.js";
import { renderSvg } from "./charts.js";
import { buildReportHtml } from "./html.js";
import { chartsFor, type ViewerItem, viewerItems } from "./report-data.js";

function metricRows(runs: RunRecord[], items: ViewerItem[]): [string, string][] {
  const rows: [string, string][] = [];
  for (const r of runs) {
    for (const [k, v] of Object.entries((r.metrics ?? {}) as Record<string, unknown>)) {
      if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") {
        rows.push([
          `${runs.length > 1 ? `${r.id} · ` : ""}${k}`,
          typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v),
        ]);
      }
    }
  }
  const labelled = items.filter((i) => i.goldCorrect !== null && i.decision !== null);
  if (labelled.length > 0) {
    const agree = labelled.filter((i) => (i.decision === "yes") === i.goldCorrect).length;
    rows.push([
      "decision agrees with gold correctness",
      `${agree}/${labelled.length} (${((100 * agree) / labelled.length).toFixed(1)}%)`,
    ]);
  }
  const located = items.filter((i) => i.goldFirstError !== null && i.score !== null);
  if (located.length > 0) {
    const exact = located.filter((i) => i.firstIncorrectStep === i.goldFirstError).length;
    rows.push([
      "first error found exactly (gold label)",
      `${exact}/${located.length} (${((100 * exact) / located.length).toFixed(1)}%)`,
    ]);
  }
  return rows;
}

export interface BuiltReport {
  html: string;
  charts: { id: string; title: string; svg: string }[];
}

export async function buildReport(store: RunStore, runs: RunRecord[]): Promise<BuiltReport> {
  const items = runs.flatMap((r) => viewerItems(r, store.results(r.id)));
  const specs = chartsFor(items, runs.length === 1 ? runs[0]!.metrics : null);
  const charts = [];
  for (const c of specs) charts.push({ id: c.id, title: c.title, svg: await renderSvg(c) });
  return { html: buildReportHtml({ runs, metrics: metricRows(runs, items), charts, items }), charts };
}
