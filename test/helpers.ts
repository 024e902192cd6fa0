import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The shared data folder beside the checkout (CI lays a copy there too). */
export const SHARED = process.env.THINKPRM_SHARED ?? resolve(REPO_ROOT, "..", "shared");

export interface ProcessBenchItem {
  id: string;
  problem: string;
  steps: string[];
  label: number;
  final_answer_correct: boolean;
}

export function processBenchItem(subset: string, id: string): ProcessBenchItem {
  const items = JSON.parse(
    readFileSync(resolve(SHARED, "data/processbench", `${subset}.json`), "utf8"),
  ) as ProcessBenchItem[];
  const item = items.find((x) => x.id === id);
  if (!item) throw new Error(`${id} not in ${subset}`);
  return item;
}

export const fixture = (name: string) => resolve(REPO_ROOT, "test/fixtures", name);
