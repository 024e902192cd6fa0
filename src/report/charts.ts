/**
 * Chart specifications (vega-lite, pure data → spec) and their rendering to SVG (vega, no canvas)
 * and PNG (resvg). Each chart is made only when its data exists in the run.
 */
import type { TopLevelSpec } from "vega-lite";

export interface ChartSpec {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: 420, height: 240 } as const;

/** Distribution of verification scores (P(Yes) shares). */
export function scoreHistogram(scores: number[]): ChartSpec {
  return {
    id: "scores",
    title: "Verifier scores",
    spec: {
      ...base,
      data: { values: scores.map((score) => ({ score })) },
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: {
          field: "score",
          type: "quantitative",
          bin: { maxbins: 20, extent: [0, 1] },
          title: "P(Yes) / (P(Yes) + P(No))",
        },
        y: { aggregate: "count", type: "quantitative", title: "solutions" },
      },
    },
  };
}

/** Distribution of verification chain lengths in generated tokens. */
export function chainLengthHistogram(lengths: number[]): ChartSpec {
  return {
    id: "chain-lengths",
    title: "Verification chain length",
    spec: {
      ...base,
      data: { values: lengths.map((tokens) => ({ tokens })) },
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: {
          field: "tokens",
          type: "quantitative",
          bin: { maxbins: 30 },
          title: "generated tokens per verification",
        },
        y: { aggregate: "count", type: "quantitative", title: "verifications" },
      },
    },
  };
}

export interface ReliabilityBin {
  bin: number;
  meanScore: number;
  fractionCorrect: number;
  count: number;
}

/**
 * Reliability diagram data: 10 equal-width score bins; in each, the mean score and the fraction of
 * solutions that are actually correct. A calibrated verifier lies on the diagonal.
 *
 * @example reliabilityBins([0.05, 0.95, 0.9], [false, true, false]) // two bins: 0 → 0/1, 9 → 1/2
 */
export function reliabilityBins(scores: number[], correct: boolean[], bins = 10): ReliabilityBin[] {
  const acc = Array.from({ length: bins }, () => ({ sum: 0, correct: 0, count: 0 }));
  scores.forEach((s, i) => {
    const b = Math.min(bins - 1, Math.floor(s * bins));
    acc[b]!.sum += s;
    acc[b]!.correct += correct[i] ? 1 : 0;
    acc[b]!.count++;
  });
  return acc
    .map((a, bin) => ({
      bin,
      meanScore: a.count ? a.sum / a.count : 0,
      fractionCorrect: a.count ? a.correct / a.count : 0,
      count: a.count,
    }))
    .filter((b) => b.count > 0);
}

export function reliabilityDiagram(bins: ReliabilityBin[]): ChartSpec {
  return {
    id: "reliability",
    title: "Reliability diagram",
    spec: {
      ...base,
      layer: [
        {
          data: {
            values: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
          },
          mark: { type: "line", strokeDash: [4, 4], color: "#999" },
          encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
        },
        {
          data: { values: bins },
          mark: { type: "line", point: true, tooltip: true },
          encoding: {
            x: {
              field: "meanScore",
              type: "quantitative",
              scale: { domain: [0, 1] },
              title: "mean score in bin",
            },
            y: {
              field: "fractionCorrect",
              type: "quantitative",
              scale: { domain: [0, 1] },
              title: "fraction correct",
            },
            size: { field: "count", type: "quantitative", title: "solutions" },
          },
        },
      ],
    },
  };
}

/** Accuracy against N for several selection methods (best-of-N curves). */
export function accuracyVsN(points: { n: number; method: string; accuracy: number }[]): ChartSpec {
  return {
    id: "accuracy-vs-n",
    title: "Best-of-N accuracy",
    spec: {
      ...base,
      data: { values: points },
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "n", type: "quantitative", scale: { type: "log", base: 2 }, title: "N (candidates)" },
        y: { field: "accuracy", type: "quantitative", title: "accuracy" },
        color: { field: "method", type: "nominal" },
      },
    },
  };
}

/** A metric against verifier tokens (F1 or accuracy vs compute). */
export function metricVsTokens(
  points: { tokens: number; value: number; series: string }[],
  metric: string,
): ChartSpec {
  return {
    id: `${metric}-vs-tokens`,
    title: `${metric} vs verifier tokens`,
    spec: {
      ...base,
      data: { values: points },
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "tokens", type: "quantitative", title: "verifier tokens" },
        y: { field: "value", type: "quantitative", title: metric },
        color: { field: "series", type: "nominal" },
      },
    },
  };
}

/** Renders a chart to standalone SVG text. */
export async function renderSvg(chart: ChartSpec): Promise<string> {
  const vega = await import("vega");
  const vl = await import("vega-lite");
  const compiled = vl.compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** DejaVu Sans from Debian's fonts-dejavu-core, so PNG text renders the same everywhere it is installed. */
const FONT_FILES = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"];

/** Renders SVG to PNG with resvg. */
export async function renderPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import("@resvg/resvg-js");
  const { existsSync } = await import("node:fs");
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontFiles, loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return Buffer.from(resvg.render().asPng());
}
