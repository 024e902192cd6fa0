/** Rendering chart specifications to standalone SVG (vega, no canvas) and PNG (resvg). */
import type { ChartSpec } from "./charts.js";

/** Renders a chart to standalone SVG text (vega escapes every label it writes). */
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
