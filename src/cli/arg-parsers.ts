/** Commander argument parsers with messages that say the allowed range. */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";

export function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}`,
      );
    }
    return n;
  };
}

export function num(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--server-kind` and `--served-model`, for commands that take an openai engine. */
export const serverKindOption = (what = "openai engine") =>
  // no default here: the engine spec's schema has it, and a flag the user did not give must not
  // look given (with a non-openai engine it is an error)
  new Option(
    "--server-kind <kind>",
    `${what}: the server, which fixes its capabilities (default vllm)`,
  ).choices(["vllm", "sglang", "llama.cpp", "ollama", "openai"] as const);
export const servedModelOption = (what = "openai engine") =>
  new Option("--served-model <id>", `${what}: the model id on the server (default: the first it lists)`);
