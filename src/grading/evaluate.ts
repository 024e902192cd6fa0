/**
 * Numeric evaluation of an expression tree at given symbol values. Equivalence of expressions with
 * variables is tested by evaluating both at several random points (Schwartz–Zippel style): two
 * different expressions agreeing at random reals is vanishingly unlikely.
 */
import type { MathNode } from "./math-ast.js";

export type Matrix = number[][];
export type Value = number | Matrix;

const isMatrix = (v: Value): v is Matrix => Array.isArray(v);

function binary(a: Value, b: Value, f: (x: number, y: number) => number): Value | undefined {
  if (!isMatrix(a) && !isMatrix(b)) return f(a, b);
  if (isMatrix(a) && isMatrix(b)) {
    if (a.length !== b.length || a[0]!.length !== b[0]!.length) return undefined;
    return a.map((row, i) => row.map((x, j) => f(x, b[i]![j]!)));
  }
  return undefined;
}

function scale(m: Matrix, k: number): Matrix {
  return m.map((row) => row.map((x) => x * k));
}

function matmul(a: Matrix, b: Matrix): Matrix | undefined {
  if (a[0]!.length !== b.length) return undefined;
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
}

function multiply(a: Value, b: Value): Value | undefined {
  if (!isMatrix(a) && !isMatrix(b)) return a * b;
  if (isMatrix(a) && isMatrix(b)) return matmul(a, b);
  return isMatrix(a) ? scale(a, b as number) : scale(b as Matrix, a);
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 170) return Number.NaN;
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

const FN: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  cot: (x) => 1 / Math.tan(x),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  log: Math.log,
  ln: Math.log,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
  norm: Math.abs,
  factorial,
};

/** The value of `node` with the given symbol values, or `undefined` when it has none (unknown parts, domain errors). */
export function evaluate(node: MathNode, env: ReadonlyMap<string, number>): Value | undefined {
  const ev = (n: MathNode): Value | undefined => evaluate(n, env);
  switch (node.t) {
    case "num":
      return Number.isFinite(node.v) ? node.v : undefined;
    case "sym":
      return env.get(node.name);
    case "const":
      return node.name === "pi" ? Math.PI : node.name === "inf" ? Number.POSITIVE_INFINITY : undefined;
    case "add": {
      let acc: Value | undefined = 0;
      for (const x of node.items) {
        const v = ev(x);
        if (v === undefined || acc === undefined) return undefined;
        acc = acc === 0 && isMatrix(v) ? v : binary(acc, v, (p, q) => p + q);
      }
      return acc;
    }
    case "neg": {
      const v = ev(node.a);
      return v === undefined ? undefined : isMatrix(v) ? scale(v, -1) : -v;
    }
    case "mul": {
      let acc: Value | undefined = 1;
      for (const x of node.items) {
        const v = ev(x);
        if (v === undefined || acc === undefined) return undefined;
        acc = multiply(acc, v);
      }
      return acc;
    }
    case "div": {
      const n = ev(node.n);
      const d = ev(node.d);
      if (n === undefined || d === undefined || isMatrix(d)) return undefined;
      return isMatrix(n) ? scale(n, 1 / d) : n / d;
    }
    case "pow": {
      const b = ev(node.b);
      const e = ev(node.e);
      if (b === undefined || e === undefined || isMatrix(b) || isMatrix(e)) return undefined;
      const r = b ** e;
      return Number.isNaN(r) ? undefined : r;
    }
    case "fn": {
      if (node.name === "root") {
        const x = ev(node.args[0]!);
        const k = ev(node.args[1]!);
        if (typeof x !== "number" || typeof k !== "number") return undefined;
        return x < 0 && k % 2 === 1 ? -((-x) ** (1 / k)) : x ** (1 / k);
      }
      if (node.name === "binom") {
        const n = ev(node.args[0]!);
        const k = ev(node.args[1]!);
        if (typeof n !== "number" || typeof k !== "number") return undefined;
        return factorial(n) / (factorial(k) * factorial(n - k));
      }
      const f = FN[node.name];
      if (!f || node.args.length !== 1) return undefined;
      const x = ev(node.args[0]!);
      if (typeof x !== "number") return undefined;
      const r = f(x);
      return Number.isNaN(r) ? undefined : r;
    }
    case "matrix": {
      const rows: number[][] = [];
      for (const r of node.rows) {
        const row: number[] = [];
        for (const c of r) {
          const v = ev(c);
          if (typeof v !== "number") return undefined;
          row.push(v);
        }
        rows.push(row);
      }
      return rows;
    }
    default:
      return undefined;
  }
}

/** Equal within a relative tolerance of 1e-6 (absolute near zero); infinities equal themselves. */
export function close(a: number, b: number, tol = 1e-6): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

export function valuesClose(a: Value, b: Value): boolean {
  if (!isMatrix(a) && !isMatrix(b)) return close(a, b);
  if (isMatrix(a) && isMatrix(b)) {
    return (
      a.length === b.length &&
      a.every((row, i) => row.length === b[i]!.length && row.every((x, j) => close(x, b[i]![j]!)))
    );
  }
  return false;
}

/** Deterministic pseudo-random points for identity testing (the same for both sides). */
export function samplePoints(names: string[], count = 5): Map<string, number>[] {
  let seed = 0x9e3779b9;
  const next = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => new Map(names.map((n) => [n, 0.6 + 1.3 * next()])));
}
