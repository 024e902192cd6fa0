/**
 * Where two configurations differ, as dotted paths — what a refused resume tells the user.
 *
 * @example
 * configDifferences({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 }, d: 4 })
 * // ["b.c (2 → 3)", "d (absent → 4)"]
 */
export function configDifferences(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  walk(before, after, "", out);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return "absent";
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  // undefined and absent are the same in stored JSON
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push(`${path || "(the whole configuration)"} (${show(a)} → ${show(b)})`);
}
