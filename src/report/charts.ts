/**
 * Chart specifications (vega-lite; pure data → spec). Every chart takes the runs it shows with
 * their colours: one run gives one plain chart; several runs give one panel or one line per run,
 * in the run's colour, never pooled. Rendering lives in chart-render.ts.
 */
import type { TopLevelSpec } from "vega-lite";
import type { ReliabilityBin } from "../core/calibration.js";

export interface ChartSpec {
  id: string;
  title: string;
  /** The run this chart belongs to, when it shows one run of several (its colour marks the card). */
  run?: string;
  /** A line under the title (e.g. each run's ECE). */
  note?: string;
  spec: TopLevelSpec;
}

/** A run as charts show it: its id and its colour in every table and chart of the report. */
export interface RunColour {
  id: string;
  colour: string;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 420;
const HEIGHT = 240;
/** Counts are whole numbers: no 0.5 ticks. */
const COUNT_AXIS = { format: "d", tickMinStep: 1 } as const;

function runColourScale(runs: readonly RunColour[]) {
  return { domain: runs.map((r) => r.id), range: runs.map((r) => r.colour) };
}

/**
 * A histogram of `field`, one panel per run (sharing the bins and the x axis) when there are
 * several runs, so that no run's distribution hides behind another's.
 */
function histogram(
  rows: { run: string; value: number }[],
  runs: readonly RunColour[],
  x: { title: string; bin: Record<string, unknown>; format?: string },
  yTitle: string,
): TopLevelSpec {
  const several = runs.length > 1;
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: several ? Math.max(130, Math.round(HEIGHT / runs.length)) : HEIGHT,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "value",
        type: "quantitative",
        bin: x.bin,
        title: x.title,
        ...(x.format ? { axis: { format: x.format } } : {}),
      },
      y: { aggregate: "count", type: "quantitative", title: yTitle, axis: COUNT_AXIS },
      color: { field: "run", type: "nominal", scale: runColourScale(runs), legend: null },
      ...(several
        ? {
            row: {
              field: "run",
              type: "nominal",
              sort: runs.map((r) => r.id),
              title: null,
              header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelOrient: "top" },
            },
          }
        : {}),
    },
  } as TopLevelSpec;
}

/** Distribution of solution scores: P(Yes) / (P(Yes) + P(No)), the mean over valid chains. */
export function scoreHistogram(
  rows: { run: string; score: number }[],
  runs: readonly RunColour[],
): ChartSpec {
  return {
    id: "scores",
    title: "Verifier scores",
    spec: histogram(
      rows.map((r) => ({ run: r.run, value: r.score })),
      runs,
      { title: "score = P(Yes) / (P(Yes) + P(No)), per solution", bin: { maxbins: 20, extent: [0, 1] } },
      "solutions (count)",
    ),
  };
}

/** Distribution of verification chain lengths: generated tokens per chain (all rounds). */
export function chainTokenHistogram(
  rows: { run: string; tokens: number }[],
  runs: readonly RunColour[],
): ChartSpec {
  return {
    id: "chain-lengths",
    title: "Verification chain length",
    spec: histogram(
      rows.map((r) => ({ run: r.run, value: r.tokens })),
      runs,
      // whole-token bins: a chain has 7 or 8 tokens, never 7.8
      { title: "generated tokens per chain", bin: { maxbins: 30, minstep: 1, nice: true }, format: "d" },
      "chains (count)",
    ),
  };
}

export interface ReliabilitySeries {
  run: string;
  /** Expected calibration error over the same bins. */
  ece: number;
  /** Labelled, scored solutions behind the bins. */
  n: number;
  bins: ReliabilityBin[];
}

/**
 * The reliability diagram: per run one line through its bins (in score order) and a point per bin
 * whose area is the bin's count, against the diagonal of perfect calibration. The line and the
 * points are separate layers: a line encoding `size` would be cut into one line per size.
 */
export function reliabilityDiagram(series: ReliabilitySeries[], runs: readonly RunColour[]): ChartSpec {
  const shown = runs.filter((r) => series.some((s) => s.run === r.id));
  const rows = series.flatMap((s) => s.bins.map((b) => ({ run: s.run, ...b })));
  const x = {
    field: "meanScore",
    type: "quantitative",
    scale: { domain: [0, 1] },
    title: "mean score in bin (10 equal-width bins)",
  } as const;
  const y = {
    field: "fractionCorrect",
    type: "quantitative",
    scale: { domain: [0, 1] },
    title: "fraction of solutions correct",
  } as const;
  const color = {
    field: "run",
    type: "nominal",
    scale: runColourScale(shown),
    ...(shown.length > 1 ? { title: "run", legend: { labelLimit: 260 } } : { legend: null }),
  } as const;
  const note = series
    .map(
      (s) =>
        `${shown.length > 1 ? `${s.run}: ` : ""}ECE ${s.ece.toFixed(4)} over ${s.n} solution${s.n === 1 ? "" : "s"}`,
    )
    .join(" · ");
  return {
    id: "reliability",
    title: "Reliability diagram",
    note,
    spec: {
      $schema: SCHEMA,
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values: [{}] },
          mark: { type: "rule", strokeDash: [4, 4], color: "#999" },
          encoding: {
            x: { datum: 0, type: "quantitative", scale: { domain: [0, 1] } },
            y: { datum: 0, type: "quantitative", scale: { domain: [0, 1] } },
            x2: { datum: 1 },
            y2: { datum: 1 },
          },
        },
        {
          data: { values: rows },
          layer: [
            { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
            {
              mark: { type: "circle", opacity: 0.75 },
              encoding: {
                x,
                y,
                color,
                size: {
                  field: "count",
                  type: "quantitative",
                  title: "solutions in bin",
                  // from the smallest count, so the legend does not show an empty bin's dot
                  scale: { zero: false, range: [40, 400] },
                  legend: { format: "d", tickMinStep: 1 },
                },
              },
            },
          ],
        },
      ],
    } as TopLevelSpec,
  };
}

/** A file-name-safe chart id for one run's chart. */
const runChartId = (base: string, run: string | undefined) =>
  run === undefined ? base : `${base}-${run.replace(/[^A-Za-z0-9_-]/g, "_")}`;

/** Accuracy against N for several selection methods (best-of-N curves) of one run. */
export function accuracyVsN(
  points: { n: number; method: string; accuracy: number }[],
  run?: string,
): ChartSpec {
  return {
    id: runChartId("accuracy-vs-n", run),
    title: run === undefined ? "Best-of-N accuracy" : `Best-of-N accuracy — ${run}`,
    ...(run === undefined ? {} : { run }),
    spec: {
      $schema: SCHEMA,
      width: WIDTH,
      height: HEIGHT,
      data: { values: points },
      mark: { type: "line", point: true },
      encoding: {
        x: {
          field: "n",
          type: "quantitative",
          scale: { type: "log", base: 2 },
          // ticks at the N evaluated (a log axis would add 1.2, 1.6, …)
          axis: { values: [...new Set(points.map((p) => p.n))], format: "d" },
          title: "N (candidates per problem)",
        },
        y: {
          field: "accuracy",
          type: "quantitative",
          title: "accuracy (fraction of problems)",
          axis: { format: ".3~f" },
        },
        color: { field: "method", type: "nominal", title: "selection" },
      },
    },
  };
}

/** A metric against verifier tokens (F1 or accuracy vs compute) of one run. */
export function metricVsTokens(
  points: { tokens: number; value: number; series: string }[],
  metric: string,
  run?: string,
): ChartSpec {
  return {
    id: runChartId(`${metric.replace(/[^A-Za-z0-9_-]/g, "_")}-vs-tokens`, run),
    title: `${metric} vs verifier tokens${run === undefined ? "" : ` — ${run}`}`,
    ...(run === undefined ? {} : { run }),
    spec: {
      $schema: SCHEMA,
      width: WIDTH,
      height: HEIGHT,
      data: { values: points },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "tokens", type: "quantitative", title: "mean generated verifier tokens per item" },
        y: { field: "value", type: "quantitative", title: metric, axis: { format: ".3~f" } },
        color: { field: "series", type: "nominal", title: "compute" },
      },
    },
  };
}
