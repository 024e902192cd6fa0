import { CliError } from "./io.js";

export interface Shard {
  index: number;
  count: number;
}

/** `--shard i/n` (0-based i): this process takes items whose position mod n is i. */
export function parseShard(value: string): Shard {
  const m = value.match(/^(\d+)\/(\d+)$/);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count)
    throw new CliError(`--shard must be i/n with 0 ≤ i < n, e.g. 0/4; got "${value}"`);
  return { index, count };
}
