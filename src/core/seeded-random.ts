/**
 * Seeded randomness for reproducible sampling and shuffling, pure: a 32-bit linear congruential
 * generator (Numerical Recipes constants), optionally salted with a string so that, e.g., each
 * question gets its own stream from one seed.
 */

/** A generator of numbers in [0, 1) from a seed (and salt). */
export function lcg(seed: number, salt = ""): () => number {
  let s = seed >>> 0;
  for (const ch of salt) s = (Math.imul(s ^ ch.charCodeAt(0), 2654435761) + 1) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A Fisher–Yates shuffle drawing from `rand` (a copy; the input is left alone). */
export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A seeded shuffle, its own stream per salt.
 *
 * @example seededShuffle(["a", "b", "c", "d"], 0, "question-17") // the same order every run
 */
export function seededShuffle<T>(items: readonly T[], seed: number, salt = ""): T[] {
  return shuffle(items, lcg(seed, salt));
}

/**
 * Independent seeded streams per (seed, salt).
 *
 * Why not `lcg(seed, salt)` above: it folds the salt into the LCG state with one
 * multiply per character, so salts that differ only in their last character (`prompt#0`,
 * `prompt#1`, …) start streams whose first draws differ by about 0.022 per character code — the
 * "independent" samples of one prompt would all make the same first decision. Here the salt is
 * hashed (FNV-1a, then murmur3's finaliser) into the seed of an `lcg`.
 *
 * @example seededStream(1, "prompt#0")() !== seededStream(1, "prompt#1")() // far apart, not 0.022
 */
export function seededStream(seed: number, salt: string): () => number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return lcg(h >>> 0);
}
