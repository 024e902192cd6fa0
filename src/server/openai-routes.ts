/**
 * `/v1/completions` in the OpenAI (vLLM) shape over any engine, logprobs included — so any OpenAI
 * client, and thinkprm's own HTTP engine, can use a CPU verifier.
 */
import type { Hono } from "hono";
import type { AppHelpers } from "./app.js";
import { completionsBody } from "./schemas.js";

export function registerCompletions(app: Hono, { engine, body, admitted, refusal }: AppHelpers): void {
  app.post("/v1/completions", async (c) => {
    const b = await body(c, completionsBody);
    if ("error" in b) return c.json({ error: { message: b.error, type: "invalid_request" } }, 400);
    const req = b.data;
    if (req.echo || req.stream)
      return c.json(
        { error: { message: "echo and stream are not supported by this server", type: "invalid_request" } },
        400,
      );
    const prompt = Array.isArray(req.prompt) ? req.prompt[0]! : req.prompt;
    const k = req.logprobs ?? 0;
    const r = await admitted(c, (signal) =>
      engine.complete({
        prompt,
        n: req.n ?? 1,
        maxTokens: req.max_tokens ?? 16,
        temperature: req.temperature ?? 1,
        ...(req.top_p === undefined ? {} : { topP: req.top_p }),
        ...(req.seed === undefined ? {} : { seed: req.seed }),
        ...(req.stop === undefined ? {} : { stop: Array.isArray(req.stop) ? req.stop : [req.stop] }),
        ...(k > 0 ? { topLogprobs: k, logprobsEveryToken: true } : {}),
        signal,
      }),
    );
    if (r === "full" || r === "timeout" || r === "gone") return refusal(c, r, "the completion");
    const res = r.value;
    return c.json({
      id: `cmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: engine.modelId,
      choices: res.choices.map((ch, index) => {
        let offset = 0;
        const logprobs =
          k > 0 && ch.tokens
            ? {
                tokens: ch.tokens.map((t) => t.text),
                token_logprobs: ch.tokens.map((t) => t.logprob),
                top_logprobs: ch.tokens.map((t) =>
                  Object.fromEntries((t.top ?? []).map((x) => [x.text, x.logprob])),
                ),
                text_offset: ch.tokens.map((t) => {
                  const o = offset;
                  offset += t.text.length;
                  return o;
                }),
              }
            : null;
        // vLLM's shape: finish "stop" for both a stop string and the end of sequence; stop_reason tells them apart
        return {
          index,
          text: ch.text,
          finish_reason: ch.finishReason === "length" ? "length" : "stop",
          stop_reason: ch.stopSequence ?? null,
          // SGLang's name for the same thing, so a client set up for either server reads it
          matched_stop: ch.stopSequence ?? null,
          logprobs,
        };
      }),
      usage: {
        prompt_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens,
        completion_tokens: res.usage.generatedTokens,
        total_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens + res.usage.generatedTokens,
        prompt_tokens_details: { cached_tokens: res.usage.reusedPromptTokens },
      },
    });
  });
}
