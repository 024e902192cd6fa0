/**
 * K = 4 chains of one solution on the embedded engine: decoded together (the prompt evaluated once,
 * its state copied into 4 sequences that decode in one batch) vs one after another on one sequence,
 * on the random-weight Q8_0 model of R1-Distill-Qwen-1.5B's shape. Shared by `npm run bench:engine`
 * and `npm run bench:compute`, which both end with its line
 *   batched K=4: <x>x the tokens/s of sequential decoding
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { LlamaCppEngine } from "../src/engines/llama-cpp/engine.js";
import { writeShape15bModel } from "../src/engines/llama-cpp/shape-model.js";

/** Written once (1.6 GiB), kept between runs; `.bench/` is git-ignored. */
export const SHAPE_MODEL = join(".bench", "shape-1.5b-q8_0.gguf");

export interface BatchedOptions {
  modelPath: string;
  threads: number;
  /** Tokens per chain. */
  chain: number;
  /** Interleaved repetitions; the median counts. */
  reps: number;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Writes the 1.5B-shaped model unless it is there. */
export function ensureShapeModel(modelPath = SHAPE_MODEL): string {
  mkdirSync(dirname(modelPath), { recursive: true });
  if (!existsSync(modelPath)) {
    const t0 = process.hrtime.bigint();
    process.stderr.write(`writing ${modelPath} (random weights, R1-Distill-Qwen-1.5B shape)…\n`);
    writeShape15bModel(modelPath);
    process.stderr.write(
      `  ${(statSync(modelPath).size / 2 ** 30).toFixed(2)} GiB in ${seconds(t0).toFixed(1)} s\n`,
    );
  }
  return modelPath;
}

/** A real MATH-500 problem (the fifth; a stand-in when the shared data is absent) and four short candidate solutions. */
export function benchProblem(): { problem: string; candidates: string[][] } {
  const mathPath = join("..", "shared", "data", "math500", "test.jsonl");
  const problem = existsSync(mathPath)
    ? (JSON.parse(readFileSync(mathPath, "utf8").split("\n")[4]!) as { problem: string }).problem
    : "Let $f(x) = 2x^2 - 3x + 1$. For how many integers $n$ with $1 \\le n \\le 100$ is $f(n)$ divisible by $7$?";
  const candidates = [
    [
      "Factor: f(x) = (2x - 1)(x - 1).",
      "So 7 divides f(n) iff 7 | 2n - 1 or 7 | n - 1.",
      "That gives n ≡ 4 or 1 mod 7, 28 values.",
    ],
    ["Try residues mod 7.", "f(0..6) mod 7 = 1, 0, 3, 3, 0, 1, 6.", "Two residues, so about 2/7 of 100: 28."],
    ["f(n) = 2n^2 - 3n + 1.", "Roots mod 7 are n = 1 and n = 4.", "Count n ≤ 100: 15 + 14 = 29."],
    [
      "Use the quadratic formula mod 7.",
      "The discriminant is 1, so n = (3 ± 1)/4 mod 7.",
      "Hence n ≡ 1 or 4, 29 values.",
    ],
  ];
  return { problem, candidates };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * 4. K = 4 chains of one solution: batched vs sequential, interleaved (the mode that runs first
 * alternates), each from a cold cache. Tokens/s counts the whole request (the prompt, evaluated once
 * in both modes, included); "decode alone" starts at the first streamed token. Then the four
 * decisions that continue the chains, as ThinkPRM@4 asks them, timed apart.
 */
export async function compareBatched(prompt: string, o: BatchedOptions): Promise<number> {
  const { modelPath, threads: THREADS, chain: CHAIN, reps: REPS } = o;
  console.log(
    `\nK = 4 chains of ${CHAIN} tokens (temperature 0.6), ${REPS} interleaved repetitions, cold cache each time; load average (1/5/15 min) ${load()}`,
  );
  const modes = {
    sequential: await LlamaCppEngine.create({ modelPath, threads: THREADS, contextSize: 4096, sequences: 1 }),
    batched: await LlamaCppEngine.create({ modelPath, threads: THREADS, contextSize: 4096, sequences: 4 }),
  };
  type Mode = keyof typeof modes;
  const stats: Record<Mode, { rate: number[]; decode: number[]; verify: number[] }> = {
    sequential: { rate: [], decode: [], verify: [] },
    batched: { rate: [], decode: [], verify: [] },
  };
  const run = async (mode: Mode, rep: number) => {
    const engine = modes[mode];
    await engine.resetCache();
    const t = process.hrtime.bigint();
    let firstToken: bigint | undefined;
    const r = await engine.complete({
      prompt,
      n: 4,
      maxTokens: CHAIN,
      temperature: 0.6,
      seed: 1 + 4 * rep,
      onDelta: () => {
        firstToken ??= process.hrtime.bigint();
      },
    });
    const chains = seconds(t);
    const decode = chains - Number((firstToken ?? t) - t) / 1e9;
    const generated = r.usage.generatedTokens;
    const d = process.hrtime.bigint();
    let decisionTokens = 0;
    for (const c of r.choices) {
      const p = `${prompt}${c.text}\n</think>\nIs the solution correct?`;
      decisionTokens += (await engine.nextTokenProbabilities(p, [" Yes", " No"])).usage.promptTokens;
    }
    const decisions = seconds(d);
    stats[mode].rate.push(generated / chains);
    stats[mode].decode.push(generated / decode);
    stats[mode].verify.push(chains + decisions);
    return { r, chains, decode, generated, decisions, decisionTokens };
  };
  for (let rep = 0; rep < REPS; rep++) {
    const order: Mode[] = rep % 2 === 0 ? ["sequential", "batched"] : ["batched", "sequential"];
    const line: string[] = [];
    for (const mode of order) {
      const { r, chains, decode, generated, decisions, decisionTokens } = await run(mode, rep);
      line.push(
        `${mode} ${chains.toFixed(1)} s, ${(generated / chains).toFixed(2)} tok/s (decode alone ${(generated / decode).toFixed(2)}), decisions ${decisions.toFixed(1)} s`,
      );
      if (rep === 0)
        console.log(
          `  ${mode}: prompt tokens evaluated ${r.usage.promptTokens} (reused ${r.usage.reusedPromptTokens}), ${generated} generated; the 4 decisions then evaluate ${decisionTokens}`,
        );
    }
    console.log(`  rep ${rep + 1}: ${line.join(" | ")}; load ${load()}`);
  }
  for (const engine of Object.values(modes)) await engine.close();
  const m = (mode: Mode, key: "rate" | "decode" | "verify") => median(stats[mode][key]);
  console.log(
    `  median: sequential ${m("sequential", "rate").toFixed(2)} tok/s, batched ${m("batched", "rate").toFixed(2)} tok/s; decode alone ${(m("batched", "decode") / m("sequential", "decode")).toFixed(2)}x; chains + decisions ${m("sequential", "verify").toFixed(1)} s vs ${m("batched", "verify").toFixed(1)} s (${(m("sequential", "verify") / m("batched", "verify")).toFixed(2)}x faster); load average ${load()}`,
  );
  const ratio = m("batched", "rate") / m("sequential", "rate");
  console.log(`batched K=4: ${ratio.toFixed(2)}x the tokens/s of sequential decoding`);
  return ratio;
}
