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
