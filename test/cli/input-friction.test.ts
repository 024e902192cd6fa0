/**
 * Input friction: a JSONL file saved with a UTF-8 byte-order mark reads like any other; a record
 * with both "steps" and "solution" is refused (file:line, both fields) rather than one silently
 * winning; reading solutions from a terminal says so, instead of waiting in silence.
 */
import { describe, expect, it } from "vitest";
import { cli, workdir } from "./run-cli.js";

const CHAIN = "Step 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";
const script = JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 } });
const line = (r: unknown) => `${JSON.stringify(r)}\n`;
const HINT = "reading solutions from stdin (JSONL, Ctrl-D to end; --help for usage)\n";

describe("input friction", () => {
  it("a JSONL file beginning with a byte-order mark", async () => {
    const dir = workdir({
      "s.json": script,
      "bom.jsonl": `\uFEFF${line({ id: "a", problem: "p", steps: ["x"] })}${line({ id: "b", problem: "q", steps: ["y"] })}`,
    });
    const r = await cli(["verify", "-e", "scripted:s.json", "-i", "bom.jsonl", "--json", "-q"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual(["a", "b"]);
    const prompt = await cli(["prompt", "-i", "bom.jsonl", "--json"], { cwd: dir });
    expect(prompt.code).toBe(0);
  });

  it('a record with both "steps" and "solution" is refused, naming the file, the line and the fields', async () => {
    const dir = workdir({
      "s.json": script,
      "in.jsonl": `${line({ problem: "p", steps: ["x"] })}${line({ problem: "q", steps: ["y"], solution: "z" })}`,
    });
    const r = await cli(["verify", "-e", "scripted:s.json", "-i", "in.jsonl"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: in.jsonl:2: the record has both "steps" and "solution"; give one of them ("steps": the solution already cut into steps, "solution": one text that is split into steps)\n',
    );
  });

  it("verify and prompt without -i on a terminal say they read stdin; piped, they say nothing", async () => {
    const dir = workdir({ "s.json": script });
    const input = line({ problem: "p", steps: ["x"] });
    const tty = await cli(["verify", "-e", "scripted:s.json", "-q"], {
      cwd: dir,
      stdin: input,
      stdinIsTTY: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toBe(HINT);
    const piped = await cli(["verify", "-e", "scripted:s.json", "-q"], { cwd: dir, stdin: input });
    expect(piped.stderr).toBe("");
    const prompt = await cli(["prompt"], { cwd: dir, stdin: input, stdinIsTTY: true });
    expect(prompt.stderr.startsWith(HINT)).toBe(true);
  });
});
