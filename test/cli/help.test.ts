/** Every command explains itself: `--help` with an example, `--version`, and quiet exits into a closed pipe. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCli, commandTree } from "../../src/cli/main.js";
import { REPO_ROOT } from "../helpers.js";
import { cli } from "./run-cli.js";

describe("the CLI's help", () => {
  const io = {
    stdin: process.stdin,
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
    cwd: ".",
  };
  const commands = commandTree(buildCli(io));

  it("every command's --help has an example", async () => {
    expect(commands.length).toBeGreaterThan(20);
    for (const { path } of commands) {
      const r = await cli([...path.split(" "), "--help"]);
      expect(r.code, path).toBe(0);
      expect(r.stdout, path).toMatch(/\nExamples?:\n {2}\$ thinkprm /);
    }
  });

  it("--version prints the package's version", async () => {
    const r = await cli(["--version"]);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("piping into head ends quietly (no EPIPE trace)", () => {
    // far more output than a pipe holds, so the writer meets the closed pipe
    const lines = `node -e 'for (let i = 0; i < 20000; i++) console.log(JSON.stringify({ gold: String(i), pred: String(i) }))'`;
    const r = spawnSync(
      "sh",
      ["-c", `${lines} | node ${join(REPO_ROOT, "bin/thinkprm.js")} grade | head -1`],
      {
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe("");
  });
});
