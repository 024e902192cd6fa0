/**
 * A store or an output that cannot be used ends in a message — `error: …`, exit 2, what to do —
 * never a stack trace: a resume of a run that does not exist, a garbage, foreign or truncated
 * store file, a read-only store (which readers still read), a folder where `.thinkprm/` cannot be
 * made, a report into a folder that does not exist yet, a merge of a file that is not a store.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cli, workdir } from "../cli/run-cli.js";
import { REPO_ROOT } from "../helpers.js";

const CHAIN = "Step 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";
const SCRIPT = JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 } });
const jsonl = (n: number) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, problem: `P${i} ${"x".repeat(400)}`, steps: ["a"] })).join("\n")}\n`;
const VERIFY = ["verify", "-e", "scripted:s.json", "-i", "in.jsonl", "-q"];

/** An error for the user: one `error:` line (or a few), no stack frames. */
function expectMessage(r: { code: number; stderr: string }, pattern: RegExp | string): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: /);
  if (typeof pattern === "string") expect(r.stderr).toContain(pattern);
  else expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const isRoot = process.getuid?.() === 0;
/**
 * The real CLI as a user who may not write what root (this suite, in CI) made: uid 65534 when
 * running as root (root writes anything), else this user after the files are made read-only.
 */
function asOrdinaryUser(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const node = [process.execPath, join(REPO_ROOT, "bin/thinkprm.js"), ...args];
  const [cmd, ...rest] = isRoot
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...node]
    : node;
  const r = spawnSync(cmd!, rest, {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("a store that cannot be used", () => {
  it("--resume of a run that does not exist", async () => {
    const dir = workdir({ "s.json": SCRIPT, "in.jsonl": jsonl(1) });
    expect((await cli(VERIFY, { cwd: dir })).code).toBe(0);
    const r = await cli([...VERIFY, "--resume", "20990101-nope"], { cwd: dir });
    expectMessage(r, /^error: no run 20990101-nope in \S+runs\.sqlite; see thinkprm runs list/);
  });

  it("garbage, another program's database, a truncated store: readers and writers say so", async () => {
    const dir = workdir({
      "s.json": SCRIPT,
      "in.jsonl": jsonl(40),
      "garbage.sqlite": "this is not a database, just text someone saved here\n".repeat(200),
    });
    for (const args of [
      ["runs", "list", "--store", "garbage.sqlite"],
      [...VERIFY, "--store", "garbage.sqlite"],
    ])
      expectMessage(
        await cli(args, { cwd: dir }),
        /garbage\.sqlite is not a thinkprm run store \(SQLite says: file is not a database\); move it away \(a new store is made in its place\) or pass --store <another file>/,
      );

    const foreign = new Database(join(dir, "app.db"));
    foreign.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')");
    foreign.close();
    const before = readFileSync(join(dir, "app.db"));
    expectMessage(
      await cli([...VERIFY, "--store", "app.db"], { cwd: dir }),
      /app\.db is an SQLite database but not a thinkprm run store \(its tables: users\); pass --store <another file>/,
    );
    expect(readFileSync(join(dir, "app.db")).equals(before)).toBe(true); // nothing added to it

    expect((await cli(VERIFY, { cwd: dir })).code).toBe(0);
    const store = join(dir, ".thinkprm/runs.sqlite");
    truncateSync(store, Math.floor(statSync(store).size / 2));
    for (const args of [["runs", "list"], ["report"], VERIFY])
      expectMessage(
        await cli(args, { cwd: dir }),
        /the run store \S+runs\.sqlite is damaged \(SQLite says: database disk image is malformed\); move it away/,
      );
  });

  it("a read-only store: runs list/show/export and report read it; writers say it is read-only", async () => {
    const dir = workdir({ "s.json": SCRIPT, "in.jsonl": jsonl(3) });
    const made = await cli([...VERIFY, "--json"], { cwd: dir });
    expect(made.code).toBe(0);
    const run = (await cli(["runs", "list", "--json"], { cwd: dir })).stdout.trim();
    const id = (JSON.parse(run) as { id: string }).id;
    const stored = readFileSync(join(dir, ".thinkprm/runs.sqlite"));
    for (const f of ["s.json", "in.jsonl", ".thinkprm/runs.sqlite"]) chmodSync(join(dir, f), 0o444);
    for (const d of [".thinkprm", "."]) chmodSync(join(dir, d), 0o555);
    const out = mkdtempSync(join(tmpdir(), "thinkprm-report-"));
    chmodSync(out, 0o777);

    const list = asOrdinaryUser(["runs", "list"], dir);
    expect(list.stderr).toBe("");
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+verify\\s+done\\s+3/3`));
    const show = asOrdinaryUser(["runs", "show", id], dir);
    expect(JSON.parse(show.stdout)).toMatchObject({ id, status: "done", itemsDone: 3 });
    const csv = asOrdinaryUser(["runs", "export", id, "--format", "csv"], dir);
    expect(csv.stdout.trim().split("\n")).toHaveLength(4);
    const report = asOrdinaryUser(["report", id, "-o", join(out, "r.html")], dir);
    expect(report.stdout).toContain("(1 run,");
    expect(readFileSync(join(out, "r.html"), "utf8")).toContain(id);

    for (const args of [
      [...VERIFY, "-i", "in.jsonl"],
      ["runs", "delete", id],
    ]) {
      const r = asOrdinaryUser(args, dir);
      expectMessage(
        r,
        /the run store \S+runs\.sqlite is read-only \(no permission to write it or its folder\); this command writes to it: make them writable, or pass --store <another file> \(or --no-store\)/,
      );
    }
    // the store is as it was: nothing written, nothing left beside it
    expect(readFileSync(join(dir, ".thinkprm/runs.sqlite")).equals(stored)).toBe(true);
    expect(existsSync(join(dir, ".thinkprm/runs.sqlite-wal"))).toBe(false);
    // --no-store needs no store at all
    expect(asOrdinaryUser([...VERIFY, "--no-store"], dir).code).toBe(0);
  });

  it("a folder where .thinkprm/ cannot be made", () => {
    const dir = workdir({ "s.json": SCRIPT, "in.jsonl": jsonl(1) });
    for (const f of ["s.json", "in.jsonl"]) chmodSync(join(dir, f), 0o444);
    chmodSync(dir, 0o555);
    const r = asOrdinaryUser(VERIFY, dir);
    expectMessage(
      r,
      /cannot open or create the run store \S+\.thinkprm\/runs\.sqlite \(EACCES: permission denied, mkdir '\S+\.thinkprm'\): run from a folder you can write, or pass --store <a writable file> \(or --no-store\)/,
    );
  });
});

describe("outputs", () => {
  it("report -o into folders that do not exist yet creates them; an impossible path is a message", async () => {
    const dir = workdir({ "s.json": SCRIPT, "in.jsonl": jsonl(2) });
    expect((await cli(VERIFY, { cwd: dir })).code).toBe(0);
    const r = await cli(["report", "-o", "deep/er/x.html", "--png", "plots/a"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "deep/er/x.html"), "utf8")).toMatch(/^<!doctype html>/i);
    expectMessage(
      await cli(["report", "-o", "in.jsonl/x.html"], { cwd: dir }),
      /^error: cannot write in\.jsonl\/x\.html \(.*\): pick another place with -o/,
    );
  });

  it("runs merge of a file that is not a store: a message, and no target left behind", async () => {
    const dir = workdir({ "s.json": SCRIPT, "in.jsonl": jsonl(2), notadb: "hello\n".repeat(100) });
    expectMessage(
      await cli(["runs", "merge", "notadb", "--into", "x.sqlite"], { cwd: dir }),
      "notadb is not a thinkprm run store",
    );
    expect(existsSync(join(dir, "x.sqlite"))).toBe(false);
    expectMessage(
      await cli(["runs", "merge", "absent.sqlite", "--into", "x.sqlite"], { cwd: dir }),
      "no run store at absent.sqlite",
    );
    expect(existsSync(join(dir, "x.sqlite"))).toBe(false);
    // a real store merges
    expect((await cli(VERIFY, { cwd: dir })).code).toBe(0);
    const ok = await cli(["runs", "merge", ".thinkprm/runs.sqlite", "--into", "x.sqlite"], { cwd: dir });
    expect(ok.stdout).toBe("merged into x.sqlite: 1 runs, 2 results, 4 cached calls\n");
  });
});
