/** How the CLI prints an interval beside a percentage: `[71.2, 80.3]`. */
import type { Interval } from "../eval/intervals.js";

export { wilson } from "../eval/intervals.js";

export function formatInterval(i: Interval | undefined): string {
  return i ? `[${(100 * i.low).toFixed(1)}, ${(100 * i.high).toFixed(1)}]` : "";
}
