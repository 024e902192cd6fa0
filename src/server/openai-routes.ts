/**
 * `/v1/completions` in the OpenAI (vLLM) shape over any engine, logprobs included — so any OpenAI
 * client, and thinkprm's own HTTP engine, can use a CPU verifier. `stream: true` answers with
 * server-sent events as vLLM does: text deltas per choice, then each choice's last chunk with its
 * finish reason, stop reason and logprobs, a usage chunk, and `[DONE]`.
 */
import type { Hono } from "hono";
import type { CompletionChoice, CompletionRequest, CompletionResult } from "../engines/types.js";
import type { AppHelpers } from "./app.js";
import { completionsBody } from "./schemas.js";

function wireLogprobs(ch: CompletionChoice, k: number) {
  if (k <= 0 || !ch.tokens) return null;
  let offset = 0;
  return {
    tokens: ch.tokens.map((t) => t.text),
    token_logprobs: ch.tokens.map((t) => t.logprob),
    top_logprobs: ch.tokens.map((t) => Object.fromEntries((t.top ?? []).map((x) => [x.text, x.logprob]))),
    text_offset: ch.tokens.map((t) => {
      const o = offset;
      offset += t.text.length;
      return o;
    }),
  };
}

/** vLLM's shape: finish "stop" for both a stop string and the end of sequence; stop_reason tells them apart. */
function endOf(ch: CompletionChoice) {
  return {
    finish_reason: ch.finishReason === "length" ? "length" : "stop",
    stop_reason: ch.stopSequence ?? null,
    // SGLang's name for the same thing, so a client set up for either server reads it
    matched_stop: ch.stopSequence ?? null,
  };
}

function wireUsage(res: CompletionResult) {
  return {
    prompt_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens,
    completion_tokens: res.usage.generatedTokens,
    total_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens + res.usage.generatedTokens,
    prompt_tokens_details: { cached_tokens: res.usage.reusedPromptTokens },
  };
}

export function registerCompletions(app: Hono, { engine, body, admitted, refusal, sse }: AppHelpers): void {
  app.post("/v1/completions", async (c) => {
    const b = await body(c, completionsBody);
    if ("error" in b) return c.json({ error: { message: b.error, type: "invalid_request" } }, 400);
    const req = b.data;
    if (req.echo)
      return c.json(
        { error: { message: "echo is not supported by this server", type: "invalid_request" } },
        400,
      );
    const prompt = Array.isArray(req.prompt) ? req.prompt[0]! : req.prompt;
    const k = req.logprobs ?? 0;
    const request: Omit<CompletionRequest, "signal"> = {
      prompt,
      n: req.n ?? 1,
      maxTokens: req.max_tokens ?? 16,
      temperature: req.temperature ?? 1,
      ...(req.top_p === undefined ? {} : { topP: req.top_p }),
      ...(req.seed === undefined ? {} : { seed: req.seed }),
      ...(req.stop === undefined ? {} : { stop: Array.isArray(req.stop) ? req.stop : [req.stop] }),
      ...(k > 0 ? { topLogprobs: k, logprobsEveryToken: true } : {}),
    };
    const id = `cmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const head = {
      id,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: engine.modelId,
    };
    if (req.stream) {
      return sse(c, "the completion", async (signal, send) => {
        const pending: Promise<void>[] = [];
        const sent = new Map<number, number>();
        const res = await engine.complete({
          ...request,
          signal,
          onDelta: (d) => {
            sent.set(d.index, (sent.get(d.index) ?? 0) + d.text.length);
            pending.push(
              send({
                ...head,
                choices: [{ index: d.index, text: d.text, logprobs: null, finish_reason: null }],
              }),
            );
          },
        });
        await Promise.all(pending);
        // each choice's last chunk carries what was not streamed (all of it, for an engine that does not stream)
        for (const [index, ch] of res.choices.entries())
          await send({
            ...head,
            choices: [
              {
                index,
                text: ch.text.slice(sent.get(index) ?? 0),
                logprobs: wireLogprobs(ch, k),
                ...endOf(ch),
              },
            ],
          });
        await send({ ...head, choices: [], usage: wireUsage(res) });
        await send("[DONE]");
      });
    }
    const r = await admitted(c, (signal) => engine.complete({ ...request, signal }));
    if (r === "full" || r === "timeout" || r === "gone") return refusal(c, r, "the completion");
    const res = r.value;
    return c.json({
      ...head,
      choices: res.choices.map((ch, index) => ({
        index,
        text: ch.text,
        logprobs: wireLogprobs(ch, k),
        ...endOf(ch),
      })),
      usage: wireUsage(res),
    });
  });
}
