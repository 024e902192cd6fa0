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
import { BUILTIN_CHAT_TEMPLATES } from "../src/engines/chat-template.js";
import { LlamaCppEngine } from "../src/engines/llama-cpp/engine.js";
import { buildPrompt } from "../src/verifier/prompt.js";
import { benchProblem, compareBatched, ensureShapeModel, SHAPE_MODEL } from "./batched-throughput.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOKENS = arg("tokens", 64);
const THREADS = arg("threads", 2);
const CHAIN = arg("chain", 256);
const REPS = arg("reps", 3);
const modelPath = SHAPE_MODEL;
const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  ensureShapeModel(modelPath);
  const { problem, candidates } = benchProblem();
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

  await compareBatched(prompts[0]!, { modelPath, threads: THREADS, chain: CHAIN, reps: REPS });
}

await main();
