/**
 * A parser for the LaTeX (and plain-text) math of final answers: numbers, symbols with
 * subscripts, + − × ÷ and implicit products, powers, \frac (also \dfrac, \tfrac, \cfrac, mixed
 * numbers like 918\frac12), roots, functions, |·|, ±, tuples and intervals, sets, matrices,
 * relations (chains too), ∪, ratios. Returns `null` when the text is not math it understands, so
 * callers fall back to comparing text.
 */
import { canonical, type MathNode, num } from "./math-ast.js";

type Tok =
  | { k: "num"; v: string }
  | { k: "let"; v: string }
  | { k: "cmd"; v: string }
  | { k: "p"; v: string };

const MULTI = ["<=", ">=", "!=", "\\{", "\\}", "\\|"];

function tokenize(s: string): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const m2 = MULTI.find((m) => s.startsWith(m, i));
    if (m2) {
      // \{ \} \| become commands named "{", "}", "|"
      out.push(m2.startsWith("\\") ? { k: "cmd", v: m2.slice(1) } : { k: "p", v: m2 });
      i += m2.length;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const m = s.slice(i).match(/^(\d+\.?\d*|\.\d+)/);
      if (!m) return null;
      out.push({ k: "num", v: m[1]! });
      i += m[1]!.length;
      continue;
    }
    if (c === "\\") {
      const m = s.slice(i + 1).match(/^[A-Za-z]+/);
      if (!m) {
        i += 2; // an escaped symbol we ignore (\, \! \; handled earlier)
        continue;
      }
      out.push({ k: "cmd", v: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      out.push({ k: "let", v: c });
      i++;
      continue;
    }
    if ("+-*/^_()[]{},;=<>!|:'&".includes(c)) {
      out.push({ k: "p", v: c });
      i++;
      continue;
    }
    return null; // a character we do not understand
  }
  return out;
}

const FUNCTIONS = new Set([
  "sin",
  "cos",
  "tan",
  "sec",
  "csc",
  "cot",
  "arcsin",
  "arccos",
  "arctan",
  "sinh",
  "cosh",
  "tanh",
  "log",
  "ln",
  "exp",
  "lg",
]);
const RELATIONS: Record<string, string> = {
  "=": "=",
  "<": "<",
  ">": ">",
  "<=": "<=",
  ">=": ">=",
  "!=": "!=",
  le: "<=",
  leq: "<=",
  leqslant: "<=",
  ge: ">=",
  geq: ">=",
  geqslant: ">=",
  lt: "<",
  gt: ">",
  ne: "!=",
  neq: "!=",
  approx: "≈",
  equiv: "=",
  in: "∈",
};
const GREEK = new Set([
  "alpha",
  "beta",
  "gamma",
  "delta",
  "epsilon",
  "varepsilon",
  "theta",
  "lambda",
  "mu",
  "sigma",
  "phi",
  "varphi",
  "omega",
  "rho",
  "tau",
  "psi",
  "eta",
  "zeta",
  "xi",
  "chi",
  "nu",
  "kappa",
  "Delta",
  "Gamma",
  "Theta",
  "Lambda",
  "Sigma",
  "Phi",
  "Omega",
  "Psi",
]);

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private is(k: Tok["k"], v?: string): boolean {
    const t = this.toks[this.i];
    return !!t && t.k === k && (v === undefined || t.v === v);
  }
  private eat(k: Tok["k"], v?: string): boolean {
    if (this.is(k, v)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(k: Tok["k"], v: string): void {
    if (!this.eat(k, v)) throw new ParseError(`expected ${v}`);
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }

  /** relation chain > ratio > union > sum */
  parseRelation(): MathNode {
    const items = [this.parseRatio()];
    const ops: string[] = [];
    for (;;) {
      const t = this.peek();
      const op = t && (t.k === "p" || t.k === "cmd") ? RELATIONS[t.v] : undefined;
      if (!op) break;
      this.i++;
      ops.push(op);
      items.push(this.parseRatio());
    }
    return ops.length === 0 ? items[0]! : { t: "rel", ops, items };
  }

  private parseRatio(): MathNode {
    const items = [this.parseUnion()];
    while (this.eat("p", ":")) items.push(this.parseUnion());
    return items.length === 1 ? items[0]! : { t: "ratio", items };
  }

  private parseUnion(): MathNode {
    const items = [this.parseSum()];
    while (this.eat("cmd", "cup")) items.push(this.parseSum());
    return items.length === 1 ? items[0]! : { t: "union", items };
  }

  parseSum(): MathNode {
    let left = this.parseTerm();
    const items = [left];
    for (;;) {
      if (this.eat("p", "+")) items.push(this.parseTerm());
      else if (this.eat("p", "-")) items.push({ t: "neg", a: this.parseTerm() });
      else if (this.eat("cmd", "pm")) {
        left = items.length === 1 ? items[0]! : { t: "add", items: [...items] };
        const right = this.parseTerm();
        items.length = 0;
        items.push({ t: "pm", a: left, b: right });
      } else if (this.eat("cmd", "mp")) {
        left = items.length === 1 ? items[0]! : { t: "add", items: [...items] };
        const right = this.parseTerm();
        items.length = 0;
        items.push({ t: "pm", a: left, b: { t: "neg", a: right } });
      } else break;
    }
    return items.length === 1 ? items[0]! : { t: "add", items };
  }

  private startsAtom(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.k === "num" || t.k === "let") return true;
    if (t.k === "p") return t.v === "(" || t.v === "[" || t.v === "{";
    return (
      !(t.v in RELATIONS) &&
      !["cup", "pm", "mp", "cdot", "times", "div", "right", "end", "}", "|"].includes(t.v)
    );
  }

  parseTerm(): MathNode {
    const items: MathNode[] = [this.parseUnary()];
    for (;;) {
      if (this.eat("p", "*") || this.eat("cmd", "cdot") || this.eat("cmd", "times"))
        items.push(this.parseUnary());
      else if (this.eat("p", "/") || this.eat("cmd", "div")) {
        const d = this.parseUnary();
        const n = items.length === 1 ? items.pop()! : { t: "mul" as const, items: items.splice(0) };
        items.push({ t: "div", n, d });
      } else if (this.startsAtom()) {
        const last = items.at(-1)!;
        const next = this.parseUnary();
        // a mixed number: 918\frac{1}{2} is 918 + 1/2
        if (
          last.t === "num" &&
          Number.isInteger(last.v) &&
          next.t === "div" &&
          next.n.t === "num" &&
          next.d.t === "num" &&
          items.length === 1
        ) {
          items[0] = { t: "add", items: [last, next] };
        } else items.push(next);
      } else break;
    }
    return items.length === 1 ? items[0]! : { t: "mul", items };
  }

  private parseUnary(): MathNode {
    if (this.eat("p", "-")) return { t: "neg", a: this.parseUnary() };
    if (this.eat("p", "+")) return this.parseUnary();
    if (this.eat("cmd", "pm")) return { t: "pm", a: num(0), b: this.parseUnary() };
    return this.parsePower();
  }

  private parsePower(): MathNode {
    let base = this.parsePostfix();
    if (this.eat("p", "^")) {
      const e = this.is("p", "-")
        ? (this.i++, { t: "neg" as const, a: this.parsePostfix() })
        : this.parsePostfix();
      base = { t: "pow", b: base, e };
    }
    return base;
  }

  private parsePostfix(): MathNode {
    let a = this.parseAtom();
    for (;;) {
      if (this.eat("p", "!")) a = { t: "fn", name: "factorial", args: [a] };
      else if (this.is("p", "_")) {
        this.i++;
        const sub = this.parseAtom();
        const subText = sub.t === "num" ? sub.text : sub.t === "sym" ? sub.name : `{${canonical(sub)}}`;
        if (a.t === "sym") a = { t: "sym", name: `${a.name}_${subText}` };
        else if (a.t === "num")
          a = { t: "opaque", s: `${a.text}_${subText}` }; // a number in base n
        else a = { t: "fn", name: "sub", args: [a, sub] };
      } else if (this.eat("p", "'")) {
        a = a.t === "sym" ? { t: "sym", name: `${a.name}'` } : { t: "fn", name: "prime", args: [a] };
      } else break;
    }
    return a;
  }

  private group(open: string, close: string): MathNode {
    this.expect("p", open);
    const node = this.parseRelation();
    this.expect("p", close);
    return node;
  }

  /** `(…)`, `[…]`, `{…}`, `\{…\}`: grouping, or with commas a tuple / interval / set. */
  private parseBracketed(open: string): MathNode {
    const setBrace = open === "\\{";
    // closers: ")" or "]" for tuples and intervals (mixed brackets allowed), "}" or "\}" for sets
    const closes = () => {
      const t = this.peek();
      if (!t) return null;
      if (setBrace) return t.k === "cmd" && t.v === "}" ? "}" : null;
      if (open === "{") return t.k === "p" && t.v === "}" ? "}" : null;
      return t.k === "p" && (t.v === ")" || t.v === "]") ? t.v : null;
    };
    const items: MathNode[] = [];
    let close = closes();
    if (close === null) {
      items.push(this.parseRelation());
      while (this.eat("p", ",") || ((open === "(" || open === "[") && this.eat("p", ";")))
        items.push(this.parseRelation());
      close = closes();
      if (close === null) throw new ParseError("unclosed bracket");
    }
    this.i++;
    if (setBrace || (open === "{" && items.length !== 1)) return { t: "set", items };
    if (open === "{") return items[0]!;
    if (items.length === 1 && close === (open === "(" ? ")" : "]")) return items[0]!;
    return { t: "tuple", open, close, items };
  }

  private braceArg(): MathNode {
    if (this.is("p", "{")) return this.group("{", "}");
    // a single token argument: \frac12, \sqrt3, \sqrt x
    return this.parseAtom();
  }

  private parseAtom(): MathNode {
    const t = this.peek();
    if (!t) throw new ParseError("unexpected end");
    this.i++;
    if (t.k === "num") return num(Number(t.v), t.v);
    if (t.k === "let") return { t: "sym", name: t.v };
    if (t.k === "p") {
      if (t.v === "(" || t.v === "[" || t.v === "{") {
        this.i--;
        this.i++;
        return this.parseBracketed(t.v);
      }
      if (t.v === "|") {
        const inner = this.parseSum();
        this.expect("p", "|");
        return { t: "fn", name: "abs", args: [inner] };
      }
      throw new ParseError(`unexpected ${t.v}`);
    }
    // commands
    switch (t.v) {
      case "{":
        return this.parseBracketed("\\{");
      case "|": {
        const inner = this.parseSum();
        this.expect("cmd", "|");
        return { t: "fn", name: "norm", args: [inner] };
      }
      case "frac":
      case "dfrac":
      case "tfrac":
      case "cfrac":
        return { t: "div", n: this.braceArg(), d: this.braceArg() };
      case "binom":
      case "dbinom":
      case "tbinom":
        return { t: "fn", name: "binom", args: [this.braceArg(), this.braceArg()] };
      case "sqrt": {
        if (this.eat("p", "[")) {
          const n = this.parseSum();
          this.expect("p", "]");
          return { t: "fn", name: "root", args: [this.braceArg(), n] };
        }
        return { t: "fn", name: "sqrt", args: [this.braceArg()] };
      }
      case "pi":
        return { t: "const", name: "pi" };
      case "infty":
      case "infin":
        return { t: "const", name: "inf" };
      case "left":
      case "right":
      case "big":
      case "Big":
      case "bigg":
      case "Bigg":
        return this.parseAtom();
      case "overline":
      case "mathbf":
      case "vec":
      case "hat":
      case "bar":
      case "mathit":
      case "operatorname":
        return this.braceArg();
      case "begin":
        return this.parseEnvironment();
      case "sum":
      case "prod":
      case "int": {
        const lo = this.eat("p", "_") ? this.parseAtom() : num(Number.NaN, "");
        const hi = this.eat("p", "^") ? this.parseAtom() : num(Number.NaN, "");
        return { t: "fn", name: t.v, args: [lo, hi, this.parseTerm()] };
      }
      default:
        break;
    }
    if (FUNCTIONS.has(t.v)) {
      let power: MathNode | undefined;
      if (this.eat("p", "^")) power = this.parsePostfix();
      const arg = this.is("p", "(") ? this.group("(", ")") : this.parsePower();
      const f: MathNode = { t: "fn", name: t.v === "lg" ? "log" : t.v, args: [arg] };
      return power ? { t: "pow", b: f, e: power } : f;
    }
    if (GREEK.has(t.v)) return { t: "sym", name: t.v };
    throw new ParseError(`unknown command \\${t.v}`);
  }

  /** \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, matrix, vmatrix→det-less, array). */
  private parseEnvironment(): MathNode {
    this.expect("p", "{");
    let name = "";
    while (!this.is("p", "}")) {
      const t = this.peek();
      if (!t) throw new ParseError("unterminated environment name");
      name += t.v;
      this.i++;
    }
    this.i++;
    if (name === "array" && this.is("p", "{")) {
      // column spec {cc}
      let depth = 0;
      do {
        if (this.is("p", "{")) depth++;
        if (this.is("p", "}")) depth--;
        this.i++;
      } while (depth > 0 && !this.done());
    }
    if (!/^(p|b|v|B|V|small)?matrix$|^array$/.test(name)) throw new ParseError(`environment ${name}`);
    const rows: MathNode[][] = [[]];
    for (;;) {
      if (this.eat("cmd", "end")) {
        this.expect("p", "{");
        while (!this.eat("p", "}")) this.i++;
        break;
      }
      rows.at(-1)!.push(this.parseRelation());
      if (this.eat("p", "&")) continue;
      if (this.is("cmd", "\\")) continue;
      // row separator \\ was normalised to ";;" before tokenising
      if (this.eat("p", ";")) {
        this.expect("p", ";");
        rows.push([]);
        continue;
      }
      if (!this.is("cmd", "end")) throw new ParseError("bad matrix");
    }
    return { t: "matrix", rows: rows.filter((r) => r.length > 0) };
  }
}

class ParseError extends Error {}

/** Parses one answer element. `null` when it is not math this parser understands. */
export function parseMath(text: string): MathNode | null {
  // a matrix row break \\ becomes ";;" (a token pair the parser reads inside environments only)
  const toks = tokenize(text.replace(/\\\\/g, ";;"));
  if (!toks || toks.length === 0) return null;
  const parser = new Parser(toks);
  try {
    const node = parser.parseRelation();
    return parser.done() ? node : null;
  } catch (error) {
    if (error instanceof ParseError) return null;
    throw error;
  }
}
