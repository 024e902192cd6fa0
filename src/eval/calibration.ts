/**
 * Calibration and ranking quality of verifier scores (thinkprm-spec.md §6.5; the paper's open
 * question: ThinkPRM's scores cluster near 0 and 1). Pure.
 */
import { auroc, brier, type CalibrationReport, calibrationReport, ece } from "../core/calibration.js";

// the score metrics live in core/ (the report reads them too); re-exported for the evaluations' callers
export { auroc, brier, type CalibrationReport, calibrationReport, ece };

function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]!.x === order[i]!.x) j++;
    for (let k = i; k < j; k++) r[order[k]!.i] = (i + j + 1) / 2;
    i = j;
  }
  return r;
}

/** Spearman's rank correlation (null when either side is constant). */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da === 0 || db === 0 ? null : num / Math.sqrt(da * db);
}

/** Kendall's tau-b (null when either side is constant). */
export function kendall(a: readonly number[], b: readonly number[]): number | null {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign(a[i]! - a[j]!);
      const y = Math.sign(b[i]! - b[j]!);
      if (x === 0 && y === 0) continue;
      if (x === 0) tiesA++;
      else if (y === 0) tiesB++;
      else if (x === y) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denom === 0 ? null : (concordant - discordant) / denom;
}

/** Per-problem correlation of candidate scores with correctness, averaged over problems where it is defined. */
export function meanPerProblem(
  groups: readonly { scores: number[]; correct: boolean[] }[],
  f: (a: number[], b: number[]) => number | null,
): number | null {
  const values = groups
    .map((g) =>
      f(
        g.scores,
        g.correct.map((c) => (c ? 1 : 0)),
      ),
    )
    .filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

const clip = (p: number) => Math.min(1 - 1e-12, Math.max(1e-12, p));
const logit = (p: number) => Math.log(clip(p) / (1 - clip(p)));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function nll(scores: readonly number[], labels: readonly boolean[], map: (z: number) => number): number {
  return (
    scores.reduce((s, x, i) => {
      const p = clip(map(logit(x)));
      return s - (labels[i] ? Math.log(p) : Math.log(1 - p));
    }, 0) / Math.max(1, scores.length)
  );
}

export type Calibrator =
  | { kind: "temperature"; temperature: number }
  | { kind: "platt"; a: number; b: number };

/**
 * Temperature scaling: p' = σ(logit(p) / T), T minimising the negative log-likelihood on labelled
 * data. For ThinkPRM, logit(p) = log P(Yes) − log P(No), so T is exactly a decision temperature
 * (`--decision-temperature`). Golden-section search over log T in [1/100, 100].
 */
export function fitTemperature(scores: readonly number[], labels: readonly boolean[]): Calibrator {
  let lo = Math.log(0.01);
  let hi = Math.log(100);
  const f = (lt: number) => nll(scores, labels, (z) => sigmoid(z / Math.exp(lt)));
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 80; it++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (f(a) < f(b)) hi = b;
    else lo = a;
  }
  return { kind: "temperature", temperature: Math.exp((lo + hi) / 2) };
}

/** Platt scaling: p' = σ(a·logit(p) + b), fitted by Newton's method on the log-likelihood. */
export function fitPlatt(scores: readonly number[], labels: readonly boolean[]): Calibrator {
  const z = scores.map(logit);
  const y = labels.map((l) => (l ? 1 : 0));
  let a = 1;
  let b = 0;
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < z.length; i++) {
      const p = sigmoid(a * z[i]! + b);
      const w = p * (1 - p);
      ga += (p - y[i]!) * z[i]!;
      gb += p - y[i]!;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-15) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // damped: halve the Newton step until the likelihood improves (a full step can overshoot)
    const before = nll(scores, labels, (x) => sigmoid(a * x + b));
    let step = 1;
    while (step > 1e-6 && nll(scores, labels, (x) => sigmoid((a - step * da) * x + (b - step * db))) > before)
      step /= 2;
    a -= step * da;
    b -= step * db;
    if (step * (Math.abs(da) + Math.abs(db)) < 1e-10) break;
  }
  return { kind: "platt", a, b };
}

export function applyCalibrator(c: Calibrator, p: number): number {
  const z = logit(p);
  return c.kind === "temperature" ? sigmoid(z / c.temperature) : sigmoid(c.a * z + c.b);
}
