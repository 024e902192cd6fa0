/**
 * npm run bench:compute — where verifier compute pays, measured on the learned verifier
 * (test/fixtures/learned/: the student `npm run bench:learn` trains, and its held-out set of the
 * synthetic last-digit task, where the truth is known), through the command a user types:
 * `thinkprm eval processbench -m <learned.gguf> --data <held-out> …` once per setting, each from
 * spawn to exit, no store and no cache (every chain is generated).
 *
 * Prints one table — fixed K, adaptive K, per-step mode, runaway detection off and on — with the
 * official F1, mean chains per item, mean verifier tokens per item, invalid chains and wall time;
 * then adaptive K against fixed K at the same token cost (F1 interpolated between fixed-K rows);
 * then the line `batched K=4: <x>x the tokens/s of sequential decoding` (K = 4 chains of one
 * solution decoded together vs one after another, interleaved, on the 1.5B-shaped model, by
 * scripts/batched-throughput.ts).
 *
 * Options: --limit <n> items of the held-out set (default: all 200), --seed <n> (default 1),
 * --model <gguf> and --data-dir <folder> (another verifier and held-out set, same subset name),
 * --skip-batched (the table only), --threads <n> (default 1: the table's rows run one at a time).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "..");
const BIN = resolve(REPO, "bin/thinkprm.js");
/** The learned verifier's chains are short: its training chains were under 192 tokens. */
const MAX_TOKENS = 192;

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const MODEL = resolve(flag("--model") ?? resolve(REPO, "test/fixtures/learned/last-digit-verifier.gguf"));
const HELD_OUT = resolve(flag("--data-dir") ?? resolve(REPO, "test/fixtures/learned"));
const limit = flag("--limit");
const seed = flag("--seed") ?? "1";
const threads = flag("--threads") ?? "1";

interface Row {
  name: string;
  f1: number;
  meanChains: number;
  meanTokens: number;
  invalid: number;
  wallS: number;
}

function thinkprm(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => done({ stdout, stderr, code }));
  });
}

async function measure(name: string, extra: string[]): Promise<Row> {
  const t0 = performance.now();
  const r = await thinkprm([
    "eval",
    "processbench",
    "-m",
    MODEL,
    "--data-dir",
    HELD_OUT,
    "--subsets",
    "last-digit",
    ...(limit ? ["--limit", limit] : []),
    "--max-tokens",
    String(MAX_TOKENS),
    "--chat-template",
    "r1-distill-qwen",
    "--threads",
    threads,
    "--seed",
    seed,
    "--no-store",
    "--no-cache",
    "--json",
    "-q",
    ...extra,
  ]);
  const wallS = (performance.now() - t0) / 1000;
  if (r.code !== 0 && r.code !== 1) throw new Error(`${name}: exit ${r.code}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
    subsets: Record<string, { f1: number; meanTokens: number | null; invalidRate: number }>;
    chains: { meanChains: number };
  };
  const m = out.subsets["last-digit"]!;
  return {
    name,
    f1: m.f1,
    meanChains: out.chains.meanChains,
    meanTokens: m.meanTokens ?? 0,
    invalid: m.invalidRate,
    wallS,
  };
}

/** F1 of fixed K at `tokens`, linear between the two fixed-K rows around it (null outside them). */
function fixedAt(rows: Row[], tokens: number): number | null {
  const fixed = rows.filter((r) => r.name.startsWith("fixed")).sort((a, b) => a.meanTokens - b.meanTokens);
  for (let i = 1; i < fixed.length; i++) {
    const a = fixed[i - 1]!;
    const b = fixed[i]!;
    if (tokens >= a.meanTokens && tokens <= b.meanTokens)
      return a.f1 + ((b.f1 - a.f1) * (tokens - a.meanTokens)) / (b.meanTokens - a.meanTokens || 1);
  }
  return null;
}

const pct = (x: number) => (100 * x).toFixed(1);

async function main(): Promise<void> {
  if (!existsSync(BIN) || !existsSync(resolve(REPO, "dist/cli/bin.js")))
    throw new Error("build first: npm run build");
  if (!existsSync(MODEL)) throw new Error(`the learned verifier is missing: ${MODEL} (see its RECIPE.md)`);
  const load0 = loadavg()[0]!;
  const settings: [string, string[]][] = [
    ["fixed K=1 (greedy)", ["-k", "1"]],
    ["fixed K=2", ["-k", "2"]],
    ["fixed K=4", ["-k", "4"]],
    ["fixed K=8", ["-k", "8"]],
    ["adaptive K (≤ 8)", ["--adaptive-k", "--k-max", "8"]],
    ["per-step, K=1", ["--mode", "per-step"]],
    ["K=4, runaway off", ["-k", "4", "--runaway", "off", "--max-tokens", String(4 * MAX_TOKENS)]],
    ["K=4, runaway on", ["-k", "4", "--runaway", "on", "--max-tokens", String(4 * MAX_TOKENS)]],
  ];
  const rows: Row[] = [];
  for (const [name, extra] of settings) {
    const row = await measure(name, extra);
    rows.push(row);
    process.stderr.write(`  ${name}: ${row.wallS.toFixed(1)} s\n`);
  }
  const header = "setting               F1      mean chains  mean tokens/item  invalid  wall";
  console.log(
    `bench:compute — the learned verifier on ${limit ?? "all"} held-out items (seed ${seed}, load ${load0.toFixed(1)})`,
  );
  console.log(header);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(20)}  ${pct(r.f1).padStart(5)}  ${r.meanChains.toFixed(2).padStart(11)}  ${r.meanTokens.toFixed(0).padStart(16)}  ${pct(r.invalid).padStart(6)}%  ${r.wallS.toFixed(1).padStart(5)} s`,
    );
  const adaptive = rows.find((r) => r.name.startsWith("adaptive"))!;
  const matched = fixedAt(rows, adaptive.meanTokens);
  console.log(
    `adaptive K at ${adaptive.meanTokens.toFixed(0)} tokens/item: F1 ${pct(adaptive.f1)}; fixed K at the same cost: ${matched === null ? "outside the fixed-K range" : pct(matched)}`,
  );
  const off = rows.find((r) => r.name.includes("runaway off"))!;
  const on = rows.find((r) => r.name.includes("runaway on"))!;
  console.log(
    `runaway detection: ${(100 * (1 - on.meanTokens / (off.meanTokens || 1))).toFixed(1)}% fewer tokens/item, F1 ${pct(off.f1)} → ${pct(on.f1)}`,
  );
  if (!argv.includes("--skip-batched")) {
    // the embedded engine's K = 4 chains of 256 tokens on the 1.5B-shaped model; prints the final line
    const { benchProblem, compareBatched, ensureShapeModel } = await import("./batched-throughput.js");
    const { buildPrompt } = await import("../src/verifier/prompt.js");
    const { BUILTIN_CHAT_TEMPLATES } = await import("../src/engines/chat-template.js");
    const { problem, candidates } = benchProblem();
    const prompt = buildPrompt(
      { problem, steps: candidates[0]! },
      { chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"] },
    );
    await compareBatched(prompt, { modelPath: ensureShapeModel(), threads: 2, chain: 256, reps: 3 });
  }
}

await main();
