/**
 * Next-token log-probabilities of a GGUF file straight from node-llama-cpp (the embedded engine's
 * library) with a float32 KV cache and flash attention off, so that what is measured is the
 * conversion, not llama.cpp's half-precision attention: with its defaults (F16 KV cache, flash
 * attention on) llama.cpp itself moves log-probabilities by ~1e-2 on these random models.
 */
import type { Llama } from "node-llama-cpp";

let llama: Llama | undefined;

export interface LlamaLogprobs {
  ids: number[][];
  /** [prompt][candidate]: log P(candidate | prompt), summed over the candidate's tokens. */
  logprobs: number[][];
}

export async function llamaLogprobs(
  modelPath: string,
  prompts: string[],
  candidates: string[],
): Promise<LlamaLogprobs> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: 2048,
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
  });
  const seq = context.getSequence();
  const ids: number[][] = [];
  const logprobs: number[][] = [];
  try {
    for (const prompt of prompts) {
      const tokens = model.tokenize(prompt, true);
      ids.push([...tokens]);
      const row: number[] = [];
      for (const text of candidates) {
        const cand = model.tokenize(text, false);
        const input = [...tokens, ...cand.slice(0, -1)];
        const first = tokens.length - 1;
        await seq.clearHistory();
        const out = await seq.controlledEvaluate(
          input.map((t, k) => (k >= first ? [t, { generateNext: { probabilities: true } }] : t)),
        );
        let sum = 0;
        cand.forEach((t, k) => {
          const p = out[first + k]?.next.probabilities?.get(t);
          sum += p === undefined || p === 0 ? Number.NEGATIVE_INFINITY : Math.log(p);
        });
        row.push(sum);
      }
      logprobs.push(row);
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }
  return { ids, logprobs };
}

/** The largest absolute difference between two [prompt][candidate] tables. */
export function maxDelta(a: number[][], b: number[][]): number {
  let max = 0;
  for (const [i, row] of a.entries())
    for (const [j, x] of row.entries()) max = Math.max(max, Math.abs(x - b[i]![j]!));
  return max;
}
