/**
 * A completion streamed as server-sent events (`stream: true`): each text delta is passed on the
 * moment its chunk arrives, and the chunks are assembled into the answer a non-streamed request
 * gets (choices, logprobs, finish and stop fields, usage), which the engine then checks as
 * strictly. The server holds back stop strings itself, so its deltas are final text. Every chunk
 * is checked as it comes (an object; `choices` an array; each index one of the n asked for; text a
 * string; logprob fields lists): a chunk that breaks the protocol is a `malformed_response`, and no
 * delta of it is passed on.
 *
 * A stream stopped by the caller's signal (runaway detection, a client that went away) closes the
 * connection at once and throws `aborted` with `partialUsage`, what the stream had cost so far:
 * - the server's own counts from the last chunk that carried them — every chunk does on vLLM and
 *   SGLang, which are asked for `stream_options.continuous_usage_stats`;
 * - else, generated tokens: the streamed logprob tokens when logprobs were asked for, or else one
 *   per text delta received (vLLM, SGLang and the llama.cpp server send a token per delta, fewer
 *   only while they hold back a possible stop string); prompt tokens: 0, since only the server's
 *   final usage chunk, which an aborted stream never sees, would say.
 * A stream that ends without any usage is counted the same way.
 */
import { EngineError } from "../errors.js";
import type { CompletionDelta, EngineUsage } from "../types.js";
import { malformed, usageFrom, type WireChoice, type WireLogprobs } from "./wire.js";
import type { WireClient } from "./wire-client.js";

export interface StreamedOptions {
  n: number;
  /** Ask for token counts in every chunk (vLLM, SGLang). */
  continuousUsage: boolean;
  onDelta: (delta: CompletionDelta) => void;
  signal?: AbortSignal;
}

interface Accumulated {
  index: number;
  text: string;
  finish_reason: string | null;
  stop_reason?: string | number | null;
  matched_stop?: string | number | null;
  lp: {
    tokens: string[];
    token_logprobs: (number | null)[];
    top_logprobs: (Record<string, number> | null)[];
    content: NonNullable<NonNullable<WireLogprobs>["content"]>;
    seen: boolean;
  };
}

export async function streamed(
  client: WireClient,
  url: string,
  body: Record<string, unknown>,
  options: StreamedOptions,
): Promise<{ choices: WireChoice[]; usage: EngineUsage }> {
  const { n, signal, onDelta } = options;
  const stream = client.events(
    "/completions",
    {
      ...body,
      stream: true,
      stream_options: {
        include_usage: true,
        ...(options.continuousUsage ? { continuous_usage_stats: true } : {}),
      },
    },
    signal,
  );
  const byIndex = new Map<number, Accumulated>();
  let serverUsage: unknown;
  let chunks = 0;
  let deltas = 0;
  let logprobTokens = 0;
  const usage = (): EngineUsage =>
    serverUsage !== undefined
      ? usageFrom(serverUsage)
      : { promptTokens: 0, reusedPromptTokens: 0, generatedTokens: logprobTokens || deltas };
  const aborted = () =>
    new EngineError("request aborted", { code: "aborted", cause: signal?.reason, partialUsage: usage() });
  // leaving the loop (a return or a throw) closes the connection
  try {
    for await (const chunk of stream) {
      // chunks already buffered are still read after an abort: stop at once
      if (signal?.aborted) throw aborted();
      chunks++;
      const choices = checkedChunk(url, chunk, n);
      const u = (chunk as { usage?: unknown }).usage;
      if (typeof u === "object" && u !== null) serverUsage = u;
      for (const c of choices) {
        const index = c.index ?? 0;
        let acc = byIndex.get(index);
        if (!acc) {
          acc = {
            index,
            text: "",
            finish_reason: null,
            lp: { tokens: [], token_logprobs: [], top_logprobs: [], content: [], seen: false },
          };
          byIndex.set(index, acc);
        }
        const lp = c.logprobs;
        if (lp?.content) {
          acc.lp.content.push(...lp.content);
          acc.lp.seen = true;
          logprobTokens += lp.content.length;
        }
        if (lp?.tokens) {
          acc.lp.tokens.push(...lp.tokens);
          acc.lp.token_logprobs.push(...(lp.token_logprobs ?? []));
          acc.lp.top_logprobs.push(...(lp.top_logprobs ?? []));
          acc.lp.seen = true;
          logprobTokens += lp.tokens.length;
        }
        if (c.finish_reason) acc.finish_reason = c.finish_reason;
        if (c.stop_reason !== undefined) acc.stop_reason = c.stop_reason;
        if (c.matched_stop !== undefined) acc.matched_stop = c.matched_stop;
        if (c.text) {
          acc.text += c.text;
          deltas++;
          onDelta({ index, text: c.text });
          // the receiver may have stopped the chain on this very delta (runaway detection)
          if (signal?.aborted) throw aborted();
        }
      }
    }
  } catch (error) {
    // the connection closed by the caller's signal: what the stream had cost so far
    if (signal?.aborted) throw aborted();
    throw error;
  }
  if (chunks === 0) throw malformed(url, "the stream carried no completion chunk (an empty body)");
  const choices = [...byIndex.values()].map(({ lp, ...c }): WireChoice => {
    const { seen, content, ...legacy } = lp;
    return { ...c, logprobs: !seen ? null : content.length > 0 ? { content } : legacy };
  });
  return { choices, usage: usage() };
}

/** A chunk's choices, checked before any of its text is passed on. */
function checkedChunk(url: string, chunk: unknown, n: number): WireChoice[] {
  if (typeof chunk !== "object" || chunk === null || Array.isArray(chunk))
    throw malformed(url, `a streamed chunk is ${JSON.stringify(chunk)}, not an object`);
  const choices = (chunk as { choices?: unknown }).choices;
  if (choices === undefined || choices === null) return [];
  if (!Array.isArray(choices)) throw malformed(url, "a streamed chunk's choices are not a list");
  for (const raw of choices) {
    const c = raw as Partial<WireChoice> | null;
    if (typeof c !== "object" || c === null) throw malformed(url, "a streamed choice is not an object");
    const index = c.index ?? 0;
    if (!Number.isInteger(index) || index < 0 || index >= n)
      throw malformed(url, `a streamed choice has index ${JSON.stringify(c.index)} (n = ${n})`);
    if (c.text !== undefined && c.text !== null && typeof c.text !== "string")
      throw malformed(url, `streamed choice ${index} has text that is not a string`);
    const lp = c.logprobs;
    if (lp !== undefined && lp !== null) {
      const lists = [lp.tokens, lp.token_logprobs, lp.top_logprobs, lp.content];
      if (typeof lp !== "object" || lists.some((x) => x !== undefined && x !== null && !Array.isArray(x)))
        throw malformed(url, `streamed choice ${index} has logprobs that are not lists`);
    }
  }
  return choices as WireChoice[];
}
