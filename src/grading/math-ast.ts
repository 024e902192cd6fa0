/** The expression tree the grader parses answers into. */

export type MathNode =
  | { t: "num"; v: number; text: string }
  | { t: "sym"; name: string }
  | { t: "const"; name: "pi" | "e" | "i" | "inf" }
  | { t: "add"; items: MathNode[] }
  | { t: "neg"; a: MathNode }
  | { t: "mul"; items: MathNode[] }
  | { t: "div"; n: MathNode; d: MathNode }
  | { t: "pow"; b: MathNode; e: MathNode }
  | { t: "fn"; name: string; args: MathNode[] }
  | { t: "pm"; a: MathNode; b: MathNode }
  | { t: "tuple"; open: string; close: string; items: MathNode[] }
  | { t: "set"; items: MathNode[] }
  | { t: "matrix"; rows: MathNode[][] }
  | { t: "rel"; ops: string[]; items: MathNode[] }
  | { t: "union"; items: MathNode[] }
  | { t: "ratio"; items: MathNode[] }
  | { t: "text"; s: string }
  | { t: "opaque"; s: string };

export const num = (v: number, text = String(v)): MathNode => ({ t: "num", v, text });

/** A name, not a value: `x`, `a_3`, `AB`, `f(x)`, `|AB|`, `\frac{NO}{BO}`, `A:B`, `(p, q)`. */
export function isLabelLike(n: MathNode): boolean {
  switch (n.t) {
    case "sym":
      return true;
    case "mul":
      return n.items.every((x) => isLabelLike(x) || (x.t === "tuple" && x.items.every(isLabelLike)));
    case "fn":
      return n.name === "abs" ? n.args.every(isLabelLike) : false;
    case "div":
      return isLabelLike(n.n) && isLabelLike(n.d);
    case "ratio":
      return n.items.every(isLabelLike);
    case "tuple":
      return n.open === "(" && n.items.every(isLabelLike);
    default:
      return false;
  }
}

/** Free symbol names in a node. */
export function symbolsOf(n: MathNode, out = new Set<string>()): Set<string> {
  switch (n.t) {
    case "sym":
      out.add(n.name);
      break;
    case "add":
    case "mul":
    case "set":
    case "union":
    case "ratio":
    case "tuple":
    case "rel":
      for (const x of n.items) symbolsOf(x, out);
      break;
    case "neg":
      symbolsOf(n.a, out);
      break;
    case "div":
      symbolsOf(n.n, out);
      symbolsOf(n.d, out);
      break;
    case "pow":
      symbolsOf(n.b, out);
      symbolsOf(n.e, out);
      break;
    case "fn":
      for (const x of n.args) symbolsOf(x, out);
      break;
    case "pm":
      symbolsOf(n.a, out);
      symbolsOf(n.b, out);
      break;
    case "matrix":
      for (const r of n.rows) for (const x of r) symbolsOf(x, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * A canonical text form: commutative operands sorted, so `F_k F_{n-k-1}` and `F_{n-k-1} F_k` print
 * the same. Used where numbers cannot decide (unknown functions, sums, text).
 */
export function canonical(n: MathNode): string {
  switch (n.t) {
    case "num":
      return Number.isFinite(n.v) ? String(Number(n.v.toPrecision(12))) : n.text;
    case "sym":
      return n.name;
    case "const":
      return `\\${n.name}`;
    case "add":
      return `(${n.items.map(canonical).sort().join("+")})`;
    case "neg":
      return `-(${canonical(n.a)})`;
    case "mul":
      return `(${n.items.map(canonical).sort().join("*")})`;
    case "div":
      return `(${canonical(n.n)})/(${canonical(n.d)})`;
    case "pow":
      return `(${canonical(n.b)})^(${canonical(n.e)})`;
    case "fn":
      return `${n.name}(${n.args.map(canonical).join(",")})`;
    case "pm":
      return `(${canonical(n.a)})±(${canonical(n.b)})`;
    case "tuple":
      return `${n.open}${n.items.map(canonical).join(",")}${n.close}`;
    case "set":
      return `{${n.items.map(canonical).sort().join(",")}}`;
    case "matrix":
      return `[${n.rows.map((r) => r.map(canonical).join("&")).join(";")}]`;
    case "rel":
      return n.items.map(canonical).reduce((acc, x, i) => (i === 0 ? x : `${acc}${n.ops[i - 1]}${x}`), "");
    case "union":
      return n.items.map(canonical).sort().join("∪");
    case "ratio":
      return n.items.map(canonical).join(":");
    case "text":
      return `"${n.s}"`;
    case "opaque":
      return n.s;
  }
}
