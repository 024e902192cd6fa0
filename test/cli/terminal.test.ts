/**
 * `thinkprm verify` on a real terminal (a pseudo-terminal made by util-linux's `script`): one
 * solution streams its chain as it is written, verdicts marked as they land, then the summary;
 * many solutions print results with the progress bar on stderr never sharing a line with them.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers.js";
import { workdir } from "./run-cli.js";

const CHAIN = "Step 1: 2 + 3 = 5 holds. \\boxed{correct}\nStep 2: 5 + 1 = 7 is wrong. \\boxed{incorrect}\n";
const BIN = join(REPO_ROOT, "bin/thinkprm.js");

/** Runs the CLI in a pseudo-terminal (stdin, stdout and stderr all a TTY) and returns what the terminal showed. */
function inTerminal(args: string[], cwd: string): string {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "120" },
    timeout: 60_000,
  });
  return r.stdout.replace(/\r\n/g, "\n");
}

describe("verify on a terminal", () => {
  it("one solution: the chain streams with each verdict marked where it lands, then the summary", () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: [CHAIN],
        probabilities: { " Yes": 0.2, " No": 0.8 },
        tokenDelayMs: 2,
      }),
    });
    const screen = inTerminal(
      [
        "verify",
        "-e",
        "scripted:s.json",
        "--problem",
        "Start at 2, add 3, add 1.",
        "--step",
        "2 + 3 = 5",
        "--step",
        "5 + 1 = 7",
        "--no-store",
      ],
      dir,
    );
    expect(screen).toContain(
      "── chain 1 ──\nStep 1: 2 + 3 = 5 holds. \\boxed{correct} ✓ step 1\nStep 2: 5 + 1 = 7 is wrong. \\boxed{incorrect} ✗ step 2\n",
    );
    expect(screen).toContain("decision: P(Yes) share 0.2000");
    // then the summary, as without a terminal
    expect(screen).toMatch(/\[1\] {2}score 0\.2000 → no/);
    expect(screen.indexOf("✗ step 2")).toBeLessThan(screen.indexOf("[1]  score"));
    expect(screen).not.toContain("verify ["); // no progress bar for one solution
  });

  it("many solutions: results on stdout, the bar on stderr, never on one line", () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: [CHAIN],
        probabilities: { " Yes": 0.2, " No": 0.8 },
        latencyMs: 30,
      }),
      "in.jsonl": Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({ id: `p${i}`, problem: `q${i}`, steps: ["a", "b"] }),
      ).join("\n"),
    });
    const screen = inTerminal(["verify", "-e", "scripted:s.json", "-i", "in.jsonl", "--no-store"], dir);
    expect(screen).toContain("verify ["); // the bar was shown
    // each result starts its own line: after a newline, or after the bar's line was erased
    const starts = [...screen.matchAll(/\[(\d)\] p\d/g)];
    expect(starts).toHaveLength(6);
    for (const m of starts) {
      const before = screen.slice(screen.lastIndexOf("\n", m.index) + 1, m.index);
      // what is still visible on that line: the text after the last carriage return, once erased
      const visible = before
        .split("\r")
        .at(-1)!
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's erase-line escape
        .replace(/^\x1b\[2K/, "");
      expect(visible).toBe("");
    }
    expect(screen).toContain("6 verified, 6 scored");
  });
});
