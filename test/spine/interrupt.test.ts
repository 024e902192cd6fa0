/**
 * Ctrl-C and two processes on one run, through the CLI: the first signal stops the run loop,
 * leaves the items in flight for a resume, marks the run interrupted, prints the summary and how
 * to continue, and exits 130; a second signal exits at once. A second process never joins a run
 * that a live process works on; a dead owner's run is taken over.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/run-store.js";
import { cli, workdir } from "../cli/run-cli.js";
import { REPO_ROOT } from "../helpers.js";

const N = 12;
const CHAIN = "Step 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";
const jsonl = (n: number) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, problem: `P${i}`, steps: ["a"] })).join("\n")}\n`;
/** One item in flight at a time, each taking `latencyMs`: a run long enough to interrupt. */
const slowScript = (latencyMs: number) =>
  JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 }, latencyMs, concurrency: 1 });
const VERIFY = ["verify", "-e", "scripted:s.json", "-i", "in.jsonl"];

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when `pattern` appears on the stream. */
  waitFor: (stream: "stdout" | "stderr", pattern: RegExp) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function thinkprm(args: string[], cwd: string): Spawned {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin/thinkprm.js"), ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const out = { stdout: "", stderr: "" };
  const waiters: { stream: "stdout" | "stderr"; pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters])
      if (w.pattern.test(out[w.stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.setEncoding("utf8");
    child[stream]!.on("data", (d: string) => {
      out[stream] += d;
      check();
    });
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor: (stream, pattern) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ stream, pattern, resolve });
        check();
        exit.then(() =>
          reject(new Error(`exited before ${pattern} on ${stream}:\n${out.stdout}\n${out.stderr}`)),
        );
      }),
    exit,
  };
}

function runsOf(dir: string) {
  const store = new RunStore(join(dir, ".thinkprm/runs.sqlite"), { readonly: true });
  try {
    return store.listRuns().map((r) => ({ ...r, results: store.results(r.id).map((x) => x.key) }));
  } finally {
    store.close();
  }
}

describe("Ctrl-C", () => {
  it("a real process: stops, keeps what it did, marks the run interrupted, says how to continue, exits 130", async () => {
    const dir = workdir({ "s.json": slowScript(150), "in.jsonl": jsonl(N) });
    const p = thinkprm(VERIFY, dir);
    await p.waitFor("stdout", /^\[2\] q1/m); // two results printed: the third is in flight
    p.child.kill("SIGINT");
    const { code } = await p.exit;
    expect(code).toBe(130);
    // the usual summary line, then how to continue
    expect(p.stdout()).toMatch(/^\d+ verified, \d+ scored, 0 unscored, 0 invalid chains$/m);
    expect(p.stderr()).toMatch(/Ctrl-C: stopping/);
    const [run] = runsOf(dir);
    expect(p.stderr()).toContain(
      `interrupted: ${run!.itemsDone} of ${N} items done, stored in run ${run!.id}; run the same command again to continue it (or add --resume ${run!.id})`,
    );
    expect(run!.status).toBe("interrupted");
    expect(run!.itemsFailed).toBe(0); // the item in flight is left for the resume, not failed
    expect(run!.itemsDone).toBeGreaterThanOrEqual(2);
    expect(run!.itemsDone).toBeLessThan(N);
    const list = await cli(["runs", "list"], { cwd: dir });
    expect(list.stdout).toMatch(new RegExp(`${run!.id}\\s+verify\\s+interrupted\\s+${run!.itemsDone}/${N}`));

    // the same command again continues it: nothing repeated, nothing lost
    const again = await cli(VERIFY, { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`resuming run ${run!.id}: ${run!.itemsDone} of ${N} already done`);
    const [after] = runsOf(dir);
    expect(after!.status).toBe("done");
    expect(after!.results).toEqual(Array.from({ length: N }, (_, i) => `q${i}`));
  }, 60_000);

  it("in-process (the signal processIo wires to SIGINT): the same, for eval processbench too", async () => {
    const dir = workdir({ "s.json": slowScript(20), "in.jsonl": jsonl(N) });
    const stop = new AbortController();
    const r = await cli([...VERIFY, "--json"], {
      cwd: dir,
      signal: stop.signal,
      onStdout: (line) => {
        if (line.includes('"q2"')) stop.abort();
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(
      /interrupted: 3 of 12 items done, stored in run \S+; run the same command again/,
    );
    expect(runsOf(dir)[0]).toMatchObject({ status: "interrupted", itemsDone: 3, itemsFailed: 0 });

    const items = Array.from({ length: 6 }, (_, i) => ({
      id: `g-${i}`,
      problem: `${i}+1?`,
      steps: ["x"],
      label: -1,
    }));
    const data = workdir({ "gsm8k.json": JSON.stringify(items) });
    const pb = [
      "eval",
      "processbench",
      "-e",
      "scripted:s.json",
      "--subsets",
      "gsm8k",
      "--data-dir",
      data,
      "-q",
    ];
    const early = new AbortController();
    early.abort(); // Ctrl-C before the loop began (while the engine loaded): nothing is started
    const cut = await cli(pb, { cwd: dir, signal: early.signal });
    expect(cut.code).toBe(130);
    expect(cut.stderr).toMatch(/interrupted: 0 of 6 items done/);
    const resumed = await cli(pb, { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(runsOf(dir).find((x) => x.command === "eval-processbench")).toMatchObject({
      status: "done",
      itemsDone: 6,
    });
  }, 30_000);

  it("a second Ctrl-C quits at once, even while the first waits on an engine that never answers", async () => {
    // a server that accepts connections and never answers: the engine's set-up hangs
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = workdir({ "in.jsonl": jsonl(2) });
      const p = thinkprm(["verify", "-e", `openai:http://127.0.0.1:${port}/v1`, "-i", "in.jsonl"], dir);
      await new Promise<void>((resolve) => server.once("connection", () => resolve()));
      p.child.kill("SIGINT");
      await p.waitFor("stderr", /Ctrl-C: stopping/);
      // still waiting on the engine: the first signal does not kill it
      expect(p.child.exitCode).toBeNull();
      p.child.kill("SIGINT");
      const { code } = await p.exit;
      expect(code).toBe(130);
      expect(p.stderr()).toContain("SIGINT again: quitting now");
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 30_000);
});

describe("one run, one process", () => {
  it("a second process refuses a run a live process works on, and takes over a dead one's", async () => {
    const dir = workdir({ "s.json": slowScript(100), "in.jsonl": jsonl(N) });
    const first = thinkprm(VERIFY, dir);
    await first.waitFor("stdout", /^\[1\] q0/m);
    const second = await cli(VERIFY, { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `^error: run \\S+ is being worked on by process ${first.child.pid} on ${hostname()} \\(last heartbeat \\d+ s ago\\)`,
      ),
    );
    expect(second.stderr).toContain("--shard i/n");
    // the owner dies without a word (kill -9): its pid is gone, so the next process takes over
    first.child.kill("SIGKILL");
    await first.exit;
    const [stranded] = runsOf(dir);
    expect(stranded!.status).toBe("running");
    const third = await cli(VERIFY, { cwd: dir });
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`resuming run ${stranded!.id}`);
    const [run] = runsOf(dir);
    expect(run!.results).toHaveLength(N);
    expect(run!.owner).toMatchObject({ pid: process.pid, host: hostname() });
  }, 60_000);

  it("an owner on another host counts while its heartbeat is fresh; a stale heartbeat is taken over", async () => {
    const dir = workdir({ "s.json": slowScript(0), "in.jsonl": jsonl(3) });
    const stop = new AbortController();
    stop.abort();
    expect((await cli(VERIFY, { cwd: dir, signal: stop.signal })).code).toBe(130);
    const db = new Database(join(dir, ".thinkprm/runs.sqlite"));
    const claim = (host: string, pid: number, ageMs: number) =>
      db
        .prepare("UPDATE runs SET status = 'running', owner_host = ?, owner_pid = ?, heartbeat_at = ?")
        .run(host, pid, new Date(Date.now() - ageMs).toISOString());
    try {
      claim("gpu-node-7", 4242, 5_000);
      const refused = await cli(VERIFY, { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("is being worked on by process 4242 on gpu-node-7");
      claim("gpu-node-7", 4242, 10 * 60_000); // that host went away ten minutes ago
      const taken = await cli(VERIFY, { cwd: dir });
      expect(taken.code).toBe(0);
      expect(taken.stderr).toMatch(/^resuming run /m);
      // this host: a live pid with a fresh heartbeat is refused (--resume too) …
      const id = runsOf(dir)[0]!.id;
      claim(hostname(), process.ppid, 1_000);
      const live = await cli([...VERIFY, "--resume", id], { cwd: dir });
      expect(live.code).toBe(2);
      expect(live.stderr).toContain(`is being worked on by process ${process.ppid} on ${hostname()}`);
      // … one whose heartbeat stopped (a reused pid, a hung process) is taken over
      claim(hostname(), process.ppid, 10 * 60_000);
      const again = await cli([...VERIFY, "--resume", id], { cwd: dir });
      expect(again.code).toBe(0);
    } finally {
      db.close();
    }
  }, 30_000);
});
