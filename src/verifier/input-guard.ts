/**
 * The guard between candidate text and an engine that cannot keep it plain. The embedded engine
 * tokenises the candidate as plain text (`capabilities.plainSpans`), so nothing needs doing there;
 * an HTTP engine sends the raw prompt to a server that parses special-token strings wherever they
 * are, so a candidate holding one is refused (the default) or escaped (`specialTokens: "escape"`).
 */
import { escapeSpecialTokens, findSpecialTokens } from "../core/special-tokens.js";
import type { SolutionInput } from "../core/types.js";
import type { Engine } from "../engines/types.js";

export type SpecialTokenPolicy = "refuse" | "escape";

/** Candidate text holding a special-token string, refused before it reaches a server. */
export class SpecialTokenError extends Error {
  readonly code = "special_token";
  constructor(
    readonly token: string,
    readonly field: string,
  ) {
    super(
      `${field} contains the special-token string ${JSON.stringify(token)}, which the server would read as a control token (it could end the user's turn and forge the assistant's); remove it, or pass --special-tokens escape (HTTP: "special_tokens": "escape") to break such strings with a zero-width space`,
    );
    this.name = "InputError";
  }
}

/** The engine's own special-token texts, besides the known ones (its EOS, its template's BOS). */
function engineSpecials(engine: Engine): string[] {
  return [engine.eosToken, engine.chatTemplate?.bosToken, engine.chatTemplate?.eosToken].filter(
    (t): t is string => typeof t === "string" && t.length > 1,
  );
}

/** The first special-token string in the input, with where it is; null when there is none. */
export function findSpecialTokenIn(
  input: SolutionInput,
  engine: Engine,
): { token: string; field: string } | null {
  const extra = engineSpecials(engine);
  const fields: [string, string][] = [
    ["problem", input.problem],
    ...input.steps.map((s, i): [string, string] => [`steps[${i}]`, s]),
  ];
  for (const [field, text] of fields) {
    const hit = findSpecialTokens(text, extra)[0];
    if (hit) return { token: hit.token, field };
  }
  return null;
}

/**
 * The input as the engine may see it: unchanged when the engine keeps candidate text plain or the
 * text has no special-token string; escaped under `escape`; a `SpecialTokenError` under `refuse`.
 */
export function guardInput(input: SolutionInput, engine: Engine, policy: SpecialTokenPolicy): SolutionInput {
  if (engine.capabilities.plainSpans) return input;
  const hit = findSpecialTokenIn(input, engine);
  if (!hit) return input;
  if (policy === "refuse") throw new SpecialTokenError(hit.token, hit.field);
  const extra = engineSpecials(engine);
  return {
    ...input,
    problem: escapeSpecialTokens(input.problem, extra),
    steps: input.steps.map((s) => escapeSpecialTokens(s, extra)),
  };
}
