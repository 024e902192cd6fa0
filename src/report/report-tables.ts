/**
 * The run and metric tables (pure): one row per attribute or metric, one column per run, so that
 * runs read side by side. Values are plain strings; the page escapes them.
 */
import type { ReportRun } from "./report-data.js";
import { reliabilitySeries } from "./report-plots.js";

export interface TableRow {
  label: string;
  /** One value per run (column); null where a run has none. */
  values: (string | null)[];
}

function formatValue(v: unknown): string | null {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  return null;
}

const share = (part: number, whole: number) => `${part}/${whole} (${((100 * part) / whole).toFixed(1)}%)`;

/** A string field of a run's configuration, when it has one. */
function configField(config: unknown, field: string): string | null {
  const v =
    config !== null && typeof config === "object" ? (config as Record<string, unknown>)[field] : undefined;
  return typeof v === "string" && v !== "" ? v : null;
}

export function runTable(runs: readonly ReportRun[]): TableRow[] {
  const row = (label: string, f: (r: ReportRun) => string | null): TableRow => ({
    label,
    values: runs.map(f),
  });
  const rows = [
    row("command", (r) => r.record.command),
    row("status", (r) => r.record.status),
    row("engine", (r) => configField(r.record.config, "engine")),
    row(
      "model / verifier",
      (r) =>
        configField(r.record.config, "modelId") ??
        configField(r.record.config, "model") ??
        configField(r.record.config, "verifier"),
    ),
    row("items done", (r) => `${r.record.itemsDone} of ${r.record.itemsTotal ?? "?"}`),
    row("verification chains", (r) => {
      const chains = r.items.reduce((s, i) => s + i.chains.length, 0);
      if (chains === 0) return null;
      const valid = r.items.reduce((s, i) => s + i.chains.filter((c) => c.valid).length, 0);
      return `${chains} (${valid} valid)`;
    }),
    row("prompt tokens evaluated", (r) => String(r.record.promptTokens)),
    row("prompt tokens reused", (r) => String(r.record.reusedTokens)),
    row("generated tokens", (r) => String(r.record.generatedTokens)),
    row("invalid chains", (r) => String(r.record.invalid)),
    // wall time of the run's last invocation; items run concurrently, so their summed time says less
    row("wall time", (r) => {
      const wall = (r.record.metrics as { wallMs?: unknown } | null)?.wallMs;
      return typeof wall === "number" ? `${(wall / 1000).toFixed(1)} s` : null;
    }),
    row("item time (summed)", (r) => `${(r.record.elapsedMs / 1000).toFixed(1)} s`),
    row("created", (r) => r.record.createdAt),
  ];
  return rows.filter((r) => r.values.some((v) => v !== null));
}

/**
 * Every scalar metric any run stored (nested curves are plotted instead), in order of first
 * appearance, then what the stored items show against their gold labels.
 */
export function metricTable(runs: readonly ReportRun[]): TableRow[] {
  const labels: string[] = [];
  const values = runs.map((r) => {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries((r.record.metrics ?? {}) as Record<string, unknown>)) {
      const s = formatValue(v);
      if (s === null) continue;
      out.set(k, s);
      if (!labels.includes(k)) labels.push(k);
    }
    return out;
  });
  // the calibration of item scores, for runs that did not store it themselves (verify)
  const ece = new Map(reliabilitySeries(runs).map((s) => [s.run, s.ece]));
  runs.forEach((r, i) => {
    const e = ece.get(r.record.id);
    if (e !== undefined && !values[i]!.has("score ECE")) {
      values[i]!.set("score ECE", e.toFixed(4));
      if (!labels.includes("score ECE")) labels.push("score ECE");
    }
  });
  const rows: TableRow[] = labels.map((label) => ({
    label,
    values: values.map((v) => v.get(label) ?? null),
  }));
  const derived = (label: string, f: (r: ReportRun) => string | null) => {
    const vs = runs.map(f);
    if (vs.some((v) => v !== null)) rows.push({ label, values: vs });
  };
  derived("decision agrees with gold correctness", (r) => {
    const labelled = r.items.filter((i) => i.goldCorrect !== null && i.decision !== null);
    const agree = labelled.filter((i) => (i.decision === "yes") === i.goldCorrect).length;
    return labelled.length > 0 ? share(agree, labelled.length) : null;
  });
  derived("first error found exactly (gold label)", (r) => {
    const located = r.items.filter((i) => i.goldFirstError !== null && i.score !== null);
    const exact = located.filter((i) => i.firstIncorrectStep === i.goldFirstError).length;
    return located.length > 0 ? share(exact, located.length) : null;
  });
  return rows;
}
