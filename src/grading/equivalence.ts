/**
 * Are two final answers equivalent? `gold` is the reference (the comparison is deliberately
 * asymmetric, as Math-Verify's is): "k = 1" as gold accepts "1", but "a + 3z = 0" as gold does not
 * accept "0".
 *
 * Pipeline: extract each answer from its text → normalise → split into elements (commas,
 * semicolons, "and"/"or" at the top level) → parse each → compare as sets of elements, where
 * elements compare exactly (canonical form), numerically (at several random points for
 * expressions with variables), or structurally (tuples, intervals, sets, matrices, equations up to
 * a nonzero factor, inequalities up to a positive one).
 */

import { close, evaluate, samplePoints, type Value, valuesClose } from "./evaluate.js";
import { extractAnswer } from "./extract.js";
import { canonical, isLabelLike, type MathNode, symbolsOf } from "./math-ast.js";
import { normalizeAnswer } from "./normalize.js";
import { parseMath } from "./parse-math.js";

export type Element = { kind: "math"; node: MathNode } | { kind: "text"; text: string };

/** Splits at top-level separators: , ; "and" "or". Brackets and braces protect their contents. */
export function splitTopLevel(s: string): string[][] {
  const groups: string[][] = [[]];
  let depth = 0;
  let cur = "";
  const push = (group: boolean) => {
    if (cur.trim()) groups.at(-1)!.push(cur.trim());
    cur = "";
    if (group && groups.at(-1)!.length > 0) groups.push([]);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && (s[i + 1] === "{" || s[i + 1] === "}")) {
      depth += s[i + 1] === "{" ? 1 : -1;
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (c === "\\" && /^\\begin\{/.test(s.slice(i))) depth++;
    if (c === "\\" && /^\\end\{/.test(s.slice(i))) depth--;
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c)) depth--;
    if (depth === 0) {
      if (c === ",") {
        push(false);
        continue;
      }
      if (c === ";") {
        push(true);
        continue;
      }
      const afterBracket = /[)\]}]\s*$/.test(cur);
      const word =
        s.slice(i).match(/^\s+(and|or)\s+/i) ??
        (cur.trim() === "" ? s.slice(i).match(/^(and|or)\s+/i) : null) ??
        (afterBracket ? s.slice(i).match(/^\s*(and|or)\s*(?=[([{\\\d-])/i) : null);
      if (word) {
        push(true);
        i += word[0].length - 1;
        continue;
      }
    }
    cur += c;
  }
  push(false);
  return groups.filter((g) => g.length > 0);
}

function toElement(text: string): Element {
  const node = parseMath(text);
  if (node) return { kind: "math", node: simplifyRelation(node) };
  return { kind: "text", text: text.replace(/^\((.)\)$/, "$1").trim() };
}

/** `a < x < b` with a name in the middle is the interval (a, b); `x ∈ S` is S. */
function simplifyRelation(n: MathNode): MathNode {
  if (n.t !== "rel") return n;
  if (n.ops.length === 1 && n.ops[0] === "∈" && isLabelLike(n.items[0]!)) return n.items[1]!;
  if (n.ops.length === 2 && isLabelLike(n.items[1]!)) {
    const [o1, o2] = n.ops;
    const lower = (o: string | undefined) => o === "<" || o === "<=";
    if (lower(o1) && lower(o2)) {
      return {
        t: "tuple",
        open: o1 === "<" ? "(" : "[",
        close: o2 === "<" ? ")" : "]",
        items: [n.items[0]!, n.items[2]!],
      };
    }
  }
  return n;
}

/** Every way to read the ± signs: `1 ± √5` is two values. */
function expandPm(n: MathNode): MathNode[] {
  switch (n.t) {
    case "pm": {
      const out: MathNode[] = [];
      for (const a of expandPm(n.a))
        for (const b of expandPm(n.b))
          out.push({ t: "add", items: [a, b] }, { t: "add", items: [a, { t: "neg", a: b }] });
      return out;
    }
    case "add":
    case "mul": {
      let acc: MathNode[][] = [[]];
      for (const x of n.items) acc = acc.flatMap((prefix) => expandPm(x).map((y) => [...prefix, y]));
      return acc.map((items) => ({ t: n.t, items }) as MathNode);
    }
    case "neg":
      return expandPm(n.a).map((a) => ({ t: "neg", a }));
    case "div":
      return expandPm(n.n).flatMap((nn) => expandPm(n.d).map((d) => ({ t: "div", n: nn, d }) as MathNode));
    case "pow":
      return expandPm(n.b).map((b) => ({ ...n, b }));
    case "fn":
      return n.args.length === 1 ? expandPm(n.args[0]!).map((a) => ({ ...n, args: [a] })) : [n];
    case "rel":
      return n.items.length === 2
        ? expandPm(n.items[1]!).map((b) => ({ ...n, items: [n.items[0]!, b] }))
        : [n];
    case "set":
      return [{ t: "set", items: n.items.flatMap(expandPm) }];
    default:
      return [n];
  }
}

const labelOf = (n: MathNode): string | null =>
  n.t === "rel" && n.items.length === 2 && n.ops[0] === "=" && isLabelLike(n.items[0]!)
    ? canonical(n.items[0]!)
    : null;

/** The elements of an answer: flat, with `p = 5, q = 2; p = 7, q = 2` read as tuples (5, 2), (7, 2). */
export function answerElements(normalized: string): Element[] {
  const groups = splitTopLevel(normalized).map((g) => g.map(toElement));
  const out: Element[] = [];
  for (const g of groups) {
    const labels = g.map((e) => (e.kind === "math" ? labelOf(e.node) : null));
    if (
      groups.length > 1 &&
      g.length > 1 &&
      labels.every((l) => l !== null) &&
      new Set(labels).size === labels.length
    ) {
      const items = g.map((e) => (e as { node: Extract<MathNode, { t: "rel" }> }).node.items[1]!);
      out.push({ kind: "math", node: { t: "tuple", open: "(", close: ")", items } });
    } else out.push(...g);
  }
  // a set written as braces is its elements: {1, 2, 3} ~ 1, 2, 3
  if (out.length === 1 && out[0]!.kind === "math" && out[0]!.node.t === "set") {
    return out[0]!.node.items.map((node) => ({ kind: "math", node }));
  }
  return out.flatMap((e) =>
    e.kind === "math" ? expandPm(e.node).map((node) => ({ kind: "math", node }) as Element) : [e],
  );
}

// ---- comparing two elements ----

function numericallyEqual(a: MathNode, b: MathNode): boolean {
  const names = [...symbolsOf(a, symbolsOf(b))].sort();
  for (const env of samplePoints(names)) {
    const x = evaluate(a, env);
    const y = evaluate(b, env);
    if (x === undefined || y === undefined || !valuesClose(x, y)) return false;
  }
  return true;
}

/** f2 = c·f1 at every sample point, for one constant c satisfying `ok(c)`. */
function proportional(f1: MathNode, f2: MathNode, ok: (c: number) => boolean): boolean {
  const names = [...symbolsOf(f1, symbolsOf(f2))].sort();
  let c: number | undefined;
  for (const env of samplePoints(names, 6)) {
    const a = evaluate(f1, env);
    const b = evaluate(f2, env);
    if (typeof a !== "number" || typeof b !== "number") return false;
    if (Math.abs(a) < 1e-12) {
      if (Math.abs(b) > 1e-9) return false;
      continue;
    }
    const k = b / a;
    if (c === undefined) c = k;
    else if (!close(c, k)) return false;
  }
  return c === undefined || ok(c);
}

const diff = (a: MathNode, b: MathNode): MathNode => ({ t: "add", items: [a, { t: "neg", a: b }] });
const INEQ: Record<string, { strict: boolean; flip: boolean }> = {
  "<": { strict: true, flip: true },
  "<=": { strict: false, flip: true },
  ">": { strict: true, flip: false },
  ">=": { strict: false, flip: false },
};

function relationsEqual(g: Extract<MathNode, { t: "rel" }>, p: Extract<MathNode, { t: "rel" }>): boolean {
  if (g.items.length !== 2 || p.items.length !== 2) {
    return (
      g.ops.join() === p.ops.join() &&
      g.items.length === p.items.length &&
      g.items.every((x, i) => nodesEqual(x, p.items[i]!))
    );
  }
  const [gl, gr] = g.items as [MathNode, MathNode];
  const [pl, pr] = p.items as [MathNode, MathNode];
  const [go, po] = [g.ops[0]!, p.ops[0]!];
  if (go === "=" && po === "=") {
    // the same name on both sides: compare the values (`n = 1, 2, 3`, `D = (0, 1)`)
    if (isLabelLike(gl) && isLabelLike(pl) && canonical(gl) === canonical(pl)) return nodesEqual(gr, pr);
    return proportional(diff(gl, gr), diff(pl, pr), (c) => c !== 0);
  }
  const gi = INEQ[go];
  const pi = INEQ[po];
  if (gi && pi) {
    if (gi.strict !== pi.strict) return false;
    const f1 = gi.flip ? diff(gr, gl) : diff(gl, gr);
    const f2 = pi.flip ? diff(pr, pl) : diff(pl, pr);
    return proportional(f1, f2, (c) => c > 0);
  }
  if (go === "!=" && po === "!=") return proportional(diff(gl, gr), diff(pl, pr), (c) => c !== 0);
  if (go === "≈" && po === "≈") return nodesEqual(gl, pl);
  return false;
}

/** The value a relation stands for when compared with a plain value. */
function relationValue(rel: Extract<MathNode, { t: "rel" }>, side: "gold" | "pred"): MathNode | null {
  const [first, last] = [rel.items[0]!, rel.items.at(-1)!];
  if (rel.ops.every((o) => o === "≈")) return isLabelLike(first) ? last : first; // the exact side
  if (!rel.ops.every((o) => o === "=" || o === "≈")) return null;
  // gold "k = 1" names a value; gold "a + 3z = 0" is a constraint, not a value
  if (side === "gold") return isLabelLike(first) ? last : null;
  return last;
}

export function nodesEqual(g: MathNode, p: MathNode): boolean {
  if (canonical(g) === canonical(p)) return true;
  if (g.t === "rel" && p.t === "rel") return relationsEqual(g, p);
  if (g.t === "rel") {
    const v = relationValue(g, "gold");
    return v !== null && nodesEqual(v, p);
  }
  if (p.t === "rel") {
    const v = relationValue(p, "pred");
    return v !== null && nodesEqual(g, v);
  }
  if (g.t === "tuple" || p.t === "tuple") {
    return (
      g.t === "tuple" &&
      p.t === "tuple" &&
      g.open === p.open &&
      g.close === p.close &&
      g.items.length === p.items.length &&
      g.items.every((x, i) => nodesEqual(x, p.items[i]!))
    );
  }
  if (g.t === "set" || p.t === "set")
    return g.t === "set" && p.t === "set" && multisetEqual(g.items, p.items, nodesEqual);
  if (g.t === "union" || p.t === "union")
    return g.t === "union" && p.t === "union" && multisetEqual(g.items, p.items, nodesEqual);
  if (g.t === "ratio" || p.t === "ratio") {
    return (
      g.t === "ratio" &&
      p.t === "ratio" &&
      g.items.length === p.items.length &&
      g.items.every((x, i) => nodesEqual(x, p.items[i]!))
    );
  }
  if (g.t === "text" || p.t === "text" || g.t === "opaque" || p.t === "opaque") return false;
  return numericallyEqual(g, p);
}

/** Equal as multisets under `eq` (small sets: exact matching by backtracking). */
function multisetEqual<T>(a: T[], b: T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  const match = (i: number): boolean => {
    if (i === a.length) return true;
    for (let j = 0; j < b.length; j++) {
      if (!used[j] && eq(a[i]!, b[j]!)) {
        used[j] = true;
        if (match(i + 1)) return true;
        used[j] = false;
      }
    }
    return false;
  };
  return match(0);
}

function elementsEqual(g: Element, p: Element): boolean {
  if (g.kind === "text" || p.kind === "text") {
    const text = (e: Element) => (e.kind === "text" ? e.text : canonical(e.node)).replace(/\s+/g, " ").trim();
    const [a, b] = [text(g), text(p)];
    return a.length > 1 || b.length > 1 ? a.toLowerCase() === b.toLowerCase() : a === b;
  }
  return nodesEqual(g.node, p.node);
}

export interface GradeDetail {
  equivalent: boolean;
  gold: string;
  pred: string;
}

/** An answer extracted, normalised and parsed once, for comparing against many others. */
export interface PreparedAnswer {
  normalized: string;
  elements: Element[] | null;
}

// an answer is a set: an element equal to an earlier one counts once ("15\frac{39}{40}, \frac{639}{40}")
const dedupe = (es: Element[]) =>
  es.length > 12 ? es : es.filter((e, i) => es.findIndex((f) => elementsEqual(f, e)) === i);

export function prepareAnswer(text: string): PreparedAnswer {
  const normalized = normalizeAnswer(extractAnswer(text));
  if (!normalized) return { normalized, elements: null };
  try {
    return { normalized, elements: dedupe(answerElements(normalized)) };
  } catch {
    return { normalized, elements: null };
  }
}

/** Equivalence of prepared answers (gold first: the comparison is asymmetric). */
export function preparedEquivalent(gold: PreparedAnswer, pred: PreparedAnswer): boolean {
  if (!gold.normalized || !pred.normalized) return false;
  if (gold.normalized === pred.normalized) return true;
  if (!gold.elements || !pred.elements || gold.elements.length === 0) return false;
  try {
    return multisetEqual(gold.elements, pred.elements, elementsEqual);
  } catch {
    return false;
  }
}

/**
 * Whether `pred` (a final answer or a whole model output) is equivalent to `gold` (a reference
 * answer or solution). Never throws: unreadable input is simply not equivalent.
 *
 * @example isEquivalent("\\frac{1}{2}", "The final answer is $0.5$.") // true
 * @example isEquivalent("a + 3z = 0", "0") // false: the gold is a constraint, not a value
 */
export function gradeAnswer(gold: string, pred: string): GradeDetail {
  const g = prepareAnswer(gold);
  const p = prepareAnswer(pred);
  return { equivalent: preparedEquivalent(g, p), gold: g.normalized, pred: p.normalized };
}

export function isEquivalent(gold: string, pred: string): boolean {
  return gradeAnswer(gold, pred).equivalent;
}

export type { Value };
