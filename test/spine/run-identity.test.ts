/**
 * A run's identity is its content — the input's hash, the model's identity, the settings, the
 * template's text — not how paths were spelled; and a forced resume into another configuration
 * leaves the run holding the configuration it now runs with, the old one kept in its history.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, workdir } from "../cli/run-cli.js";

const CHAIN = "Step 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";
const script = (p: number) =>
  JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": p, " No": 1 - p } });
const jsonl = (n: number) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, problem: `P${i}`, steps: ["a"] })).join("\n")}\n`;

/** Runs a command as if Ctrl-C came before its first item: the run exists, unfinished. */
async function interrupted(args: string[], cwd: string) {
  const stop = new AbortController();
  stop.abort();
  const r = await cli(args, { cwd, signal: stop.signal });
  expect(r.code).toBe(130);
  return /stored in run (\S+);/.exec(r.stderr)![1]!;
}

const show = async (id: string, cwd: string) =>
  JSON.parse((await cli(["runs", "show", id], { cwd })).stdout) as {
    config: { verifier: { engine: string }; input: Record<string, unknown> };
    state: Record<string, unknown>;
  };

describe("run identity", () => {
  it("the same input spelled another way, or renamed, resumes its run", async () => {
    const dir = workdir({
      "s.json": script(0.9),
      "in.jsonl": jsonl(3),
      "t.jinja": "{% for m in messages %}{{ m.content }}{% endfor %}",
    });
    mkdirSync(join(dir, "sub"));
    const base = ["verify", "-e", "scripted:s.json", "--chat-template", "t.jinja"];
    const id = await interrupted([...base, "-i", "in.jsonl"], dir);
    const config = (await show(id, dir)).config;
    expect(config.input).not.toHaveProperty("source");
    expect(JSON.stringify(config)).not.toContain("t.jinja");

    const spelled = await cli(
      ["verify", "-e", "scripted:./s.json", "--chat-template", "./sub/../t.jinja", "-i", "./in.jsonl"],
      { cwd: dir },
    );
    expect(spelled.code).toBe(0);
    expect(spelled.stderr).toContain(`resuming run ${id}: 0 of 3 already done`);
    expect((await show(id, dir)).state.inputSource).toBe("./in.jsonl"); // remembered, not identity

    // a renamed copy of the same content is the same input
    writeFileSync(join(dir, "sub/renamed.jsonl"), jsonl(4));
    const other = await interrupted([...base, "-i", "sub/renamed.jsonl"], dir);
    expect(other).not.toBe(id); // other content: another run
    writeFileSync(join(dir, "sub/copy.jsonl"), jsonl(4));
    const copy = await cli([...base, "-i", "sub/copy.jsonl"], { cwd: dir });
    expect(copy.stderr).toContain(`resuming run ${other}`);
  });

  it("--force-resume into another configuration: runs show reports the new one, the old one in the history", async () => {
    const dir = workdir({ "s.json": script(0.9), "t.json": script(0.2), "in.jsonl": jsonl(2) });
    const id = await interrupted(["verify", "-e", "scripted:s.json", "-i", "in.jsonl"], dir);
    const before = await show(id, dir);
    const refused = await cli(["verify", "-e", "scripted:t.json", "-i", "in.jsonl", "--resume", id], {
      cwd: dir,
    });
    expect(refused.code).toBe(2);
    const forced = await cli(
      ["verify", "-e", "scripted:t.json", "-i", "in.jsonl", "--resume", id, "--force-resume", "--json"],
      { cwd: dir },
    );
    expect(forced.code).toBe(0);
    const after = await show(id, dir);
    expect(after.config.verifier.engine).not.toBe(before.config.verifier.engine);
    expect(after.config.verifier.engine).toMatch(/^scripted:[0-9a-f]{64}$/);
    expect(after.state.configHistory).toEqual([
      {
        command: "verify",
        config: before.config,
        replacedAt: expect.stringMatching(/^\d{4}-/),
        differences: [expect.stringMatching(/^config\.verifier\.engine \("scripted:/)],
      },
    ]);
    // the scores are the new model's
    const scores = forced.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { score: number }).score);
    expect(scores).toEqual([0.2, 0.2].map((p) => expect.closeTo(p, 6)));
  });
});
