/**
 * Item keys: what identifies a record within a run (its results, its resume). A record's `id`,
 * else its position (`#1`, `#2`, …). Two records with one key would share one result — the second
 * silently given the first one's verification — so duplicates are refused at input, naming both
 * lines. Ids are compared as text: `1` and `"1"` are the same id.
 */
import { InputError } from "./jsonl.js";

/**
 * @example
 * itemKeys([{ id: "a" }, {}, { id: "c" }], [1, 2, 3], "in.jsonl") // ["a", "#2", "c"]
 * itemKeys([{ id: "1" }, { id: "1" }], [3, 9], "in.jsonl")
 * // throws InputError "in.jsonl:9: id "1" is already the id of line 3 …"
 */
export function itemKeys(
  items: readonly { id?: string | number }[],
  lines: readonly (number | undefined)[],
  source: string,
): string[] {
  const seen = new Map<string, number | undefined>();
  return items.map((item, i) => {
    const key = item.id === undefined ? `#${i + 1}` : String(item.id);
    if (seen.has(key)) {
      const first = seen.get(key);
      const where = first === undefined ? `record ${[...seen.keys()].indexOf(key) + 1}` : `line ${first}`;
      throw new InputError(
        source,
        lines[i],
        `id ${JSON.stringify(key)} is already the id of ${where}; ids must be unique (1 and "1" are the same id) — rename one or drop the id to key records by position`,
      );
    }
    seen.set(key, lines[i]);
    return key;
  });
}
