/**
 * npm run bench:engine — the embedded engine on a 1.5B-shaped random-weight Q8_0 model (the shape
 * of ThinkPRM-1.5B), 2 threads. Prints a table and the ratios the engine is held to:
 *   1. raw node-llama-cpp decode tok/s vs our verify loop's tok/s          (goal ≥ 0.95)
 *   2. tokens evaluated for the decision vs prompt + chain length           (goal: only the decision string)
 *   3. best-of-N, N = 4 on one problem: prompt tokens with prefix reuse vs naive (goal ≥ 2.5× fewer)
 *   4. K = 4 chains of one solution: batched (prompt evaluated once, copied into 4 sequences that
 *      decode together) vs sequential (one sequence, one chain after another, prompt reused);
 *      interleaved repetitions, median, from a cold cache each time       (goal ≥ 1.5×; 2 cores allow ~1.2–1.3×)
 *      and the four decisions that continue the chains (sequential evaluates three chains again)
 * Options: --tokens N (generation length, default 64), --threads N (default 2),
 *          --chain N (tokens per chain in 4, default 256), --reps N (repetitions of 4, default 3).
 * The machine may be shared: the load average is printed beside the numbers.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { BUILTIN_CHAT_TEMPLATES } from "../src/engines/chat-template.js";
import { LlamaCppEngine } from "../src/engines/llama-cpp/engine.js";
import { writeShape15bModel } from "../src/engines/llama-cpp/shape-model.js";
import { buildPrompt } from "../src/verifier/prompt.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOKENS = arg("tokens", 64);
const THREADS = arg("threads", 2);
const CHAIN = arg("chain", 256);
const REPS = arg("reps", 3);
const dir = ".bench";
const modelPath = join(dir, "shape-1.5b-q8_0.gguf");
const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(modelPath)) {
    const t0 = process.hrtime.bigint();
    process.stderr.write(`writing ${modelPath} (random weights, R1-Distill-Qwen-1.5B shape)…\n`);
    writeShape15bModel(modelPath);
    process.stderr.write(
      `  ${(statSync(modelPath).size / 2 ** 30).toFixed(2)} GiB in ${seconds(t0).toFixed(1)} s\n`,
    );
  }
  // a real MATH-500 problem and four short candidate solutions
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
  const prompts = candidates.map((steps) => buildPrompt({ problem, steps }, { chatTemplate: r1 }));

  // one sequence, as the raw loop it is compared with
  const engine = await LlamaCppEngine.create({
    modelPath,
    threads: THREADS,
    contextSize: 4096,
    sequences: 1,
  });
  const rows: [string, string][] = [];

  // 1. decode speed: raw node-llama-cpp loop vs our engine, both after the prompt is in the cache
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const rawModel = await llama.loadModel({ modelPath });
  const rawCtx = await rawModel.createContext({ contextSize: 4096, threads: THREADS });
  const rawSeq = rawCtx.getSequence();
  const promptTokens = rawModel.tokenize(prompts[0]!, true);
  await rawSeq.evaluateWithoutGeneratingNewTokens(promptTokens.slice(0, -1));
  let t0 = process.hrtime.bigint();
  let n = 0;
  for await (const _ of rawSeq.evaluate(promptTokens.slice(-1), { temperature: 0 })) if (++n >= TOKENS) break;
  const rawRate = n / seconds(t0);
  await rawCtx.dispose();
  await rawModel.dispose();

  await engine.complete({ prompt: prompts[0]!, maxTokens: 1 }); // prompt into the cache
  t0 = process.hrtime.bigint();
  const gen = await engine.complete({ prompt: prompts[0]!, maxTokens: TOKENS });
  const ourRate = gen.choices[0]!.generatedTokens / seconds(t0);
  rows.push(["raw node-llama-cpp decode", `${rawRate.toFixed(2)} tok/s`]);
  rows.push(["thinkprm engine decode", `${ourRate.toFixed(2)} tok/s`]);
  rows.push(["  ratio (goal ≥ 0.95)", (ourRate / rawRate).toFixed(3)]);

  // 2. decision cost: the decision continues the chain already in the cache
  const chain = gen.choices[0]!.text;
  const decisionPrompt = `${prompts[0]}${chain}\n</think>\nIs the solution correct?`;
  t0 = process.hrtime.bigint();
  const dec = await engine.nextTokenProbabilities(decisionPrompt, [" Yes", " No"]);
  const decisionSeconds = seconds(t0);
  const total = engine.tokenCount(decisionPrompt);
  const decisionString =
    engine.tokenCount(`${prompts[0]}${chain}\n</think>\nIs the solution correct?`) -
    engine.tokenCount(`${prompts[0]}${chain}`);
  rows.push([
    "decision: tokens evaluated",
    `${dec.usage.promptTokens} of ${total} (decision string ≈ ${decisionString})`,
  ]);
  rows.push(["decision: wall time", `${(decisionSeconds * 1000).toFixed(0)} ms`]);

  // 3. best-of-N prompt evaluation, N = 4: with prefix reuse vs from scratch
  const score = async (reset: boolean) => {
    let evaluated = 0;
    await engine.resetCache();
    const t = process.hrtime.bigint();
    for (const p of prompts) {
      if (reset) await engine.resetCache();
      evaluated += (await engine.nextTokenProbabilities(p, [" Yes", " No"])).usage.promptTokens;
    }
    return { evaluated, seconds: seconds(t) };
  };
  const naive = await score(true);
  const reuse = await score(false);
  rows.push(["best-of-4 prompt tokens, naive", `${naive.evaluated} (${naive.seconds.toFixed(1)} s)`]);
  rows.push(["best-of-4 prompt tokens, prefix reuse", `${reuse.evaluated} (${reuse.seconds.toFixed(1)} s)`]);
  rows.push([
    "  ratio (goal ≥ 2.5×)",
    `${(naive.evaluated / reuse.evaluated).toFixed(2)}× fewer tokens, ${(naive.seconds / reuse.seconds).toFixed(2)}× faster`,
  ]);
  await engine.close();

  const width = Math.max(...rows.map(([a]) => a.length));
  console.log(
    `\nbench:engine — ${modelPath}, ${THREADS} threads, ${TOKENS} generated tokens, prompt ${promptTokens.length} tokens\n`,
  );
  for (const [a, b] of rows) console.log(`${a.padEnd(width)}  ${b}`);

  await compareBatched(prompts[0]!);
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
async function compareBatched(prompt: string) {
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
  console.log(
    `batched K=4: ${(m("batched", "rate") / m("sequential", "rate")).toFixed(2)}x the tokens/s of sequential decoding`,
  );
}

await main();
