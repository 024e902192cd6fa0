/**
 * GPQA from the user's own copy of the official CSV (`gpqa_diamond.csv`): the GPQA authors ship it
 * password-protected and ask that it not be posted in plain text, so nothing of it is in this
 * repository. Options are shuffled per question with a seed, so runs are reproducible and the
 * correct answer is not always (A).
 */
import { readFileSync } from "node:fs";
import { seededShuffle } from "../core/seeded-random.js";
import { InputError } from "./jsonl.js";

export interface McProblem {
  id: string;
  question: string;
  /** The options in their shuffled order, for letters A, B, C, D. */
  options: string[];
  /** The correct letter. */
  answer: string;
  domain: string;
  subdomain: string;
}

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. Returns rows with
 * the 1-based line each starts on.
 */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      if (cells.length > 1 || cells[0] !== "") rows.push({ line: rowLine, cells });
      cells = [];
      cell = "";
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (cell !== "" || cells.length > 0) rows.push({ line: rowLine, cells: [...cells, cell] });
  return rows;
}

const REQUIRED = [
  "Question",
  "Correct Answer",
  "Incorrect Answer 1",
  "Incorrect Answer 2",
  "Incorrect Answer 3",
];

/** GPQA questions from the official CSV; `domain` selects e.g. "Physics" (86 in Diamond). */
export function loadGpqa(path: string, options: { domain?: string; seed?: number } = {}): McProblem[] {
  const rows = parseCsv(readFileSync(path, "utf8"));
  const header = rows[0]?.cells.map((h) => h.trim());
  if (!header) throw new InputError(path, undefined, "empty file; expected the official gpqa_*.csv");
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new InputError(
      path,
      1,
      `missing column(s) ${missing.map((m) => `"${m}"`).join(", ")}; expected the official gpqa_*.csv header`,
    );
  const col = (name: string) => header.indexOf(name);
  const seed = options.seed ?? 0;
  const out: McProblem[] = [];
  for (const { line, cells } of rows.slice(1)) {
    const get = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? "").trim() : "");
    const domain = get("High-level domain");
    if (options.domain && domain.toLowerCase() !== options.domain.toLowerCase()) continue;
    const answers = REQUIRED.slice(1).map(get);
    const empty = REQUIRED.find((c) => get(c) === "");
    if (empty) throw new InputError(path, line, `column "${empty}" is empty`);
    const id = get("Record ID") || `row${line}`;
    const options4 = seededShuffle(answers, seed, id);
    out.push({
      id,
      question: get("Question"),
      options: options4,
      answer: "ABCD"[options4.indexOf(answers[0]!)]!,
      domain,
      subdomain: get("Subdomain"),
    });
  }
  return out;
}

/** The question with its lettered options, as the generator and the verifier see it. */
export function formatMcQuestion(p: Pick<McProblem, "question" | "options">): string {
  return `${p.question}\n\n${p.options.map((o, i) => `(${"ABCD"[i]}) ${o}`).join("\n")}`;
}
