/**
 * Running untrusted Python programs (code candidates) under limits, in a bubblewrap (bwrap) sandbox
 * per run (its world is described in sandbox-layout.ts):
 * - its own user, PID, network, IPC, UTS and cgroup namespaces: no network and no way to reach a
 *   host socket (no host /run or /tmp; abstract sockets live in the network namespace), its own
 *   /proc showing only its own processes, and RLIMIT_NPROC counted in its own user namespace, so a
 *   sibling's fork bomb cannot starve it;
 * - as root, each concurrent run also gets a host uid of its own (bwrap is started unprivileged as
 *   that uid), so runs share no files, signals or process counts even outside their namespaces;
 *   as an ordinary user, runs use the caller's uid inside user namespaces of their own;
 * - a read-only root with only the interpreter and its libraries, and private tmpfs folders that
 *   vanish with the namespace: the host never walks or deletes anything the program touched;
 * - a seccomp filter refusing the kernel keyring (not namespaced) and bpf, perf events,
 *   userfaultfd and io_uring (kernel attack surface no test program needs);
 * - CPU time, address space (per process), file size, processes and open files capped with
 *   rlimits; memory capped for the whole run (sandbox-memory.ts); stdout and stderr capped by the
 *   reader; the wall-time limit kills the whole sandbox, and so does the grader's death
 *   (--die-with-parent). Output is decoded as UTF-8 once it is read in full.
 * Not a substitute for a VM against kernel exploits. Where it cannot run it fails closed: runs
 * reject with a SandboxError and nothing runs unsandboxed.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import {
  type BwrapRun,
  bwrapArgs,
  discoverPython,
  FIRST_FILE_FD,
  findBwrap,
  type PythonLayout,
  STARTED_FD,
  seccompFilter,
} from "./sandbox-layout.js";
import { chooseMemoryCap, type MemoryCapKind, memoryCapFor } from "./sandbox-memory.js";

export interface SandboxLimits {
  /** Wall-clock limit in ms (the whole run, start-up included). */
  wallMs: number;
  /** CPU seconds per process (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Memory in MiB: per process (RLIMIT_AS) and for the whole run (see sandboxInfo().memoryCap). */
  memoryMb: number;
  /** Bytes of stdout and of stderr kept; more kills the program. */
  outputBytes: number;
  /** Processes and threads of the run (RLIMIT_NPROC in the run's own user namespace). */
  processes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 10_000,
  cpuSeconds: 6,
  memoryMb: 1024,
  outputBytes: 1 << 20,
  processes: 32,
};

export type RunStatus = "ok" | "runtime_error" | "timeout" | "memory" | "output_limit";

export interface SandboxResult {
  status: RunStatus;
  /** The program's exit status (128 + n for signal n); null when the sandbox was killed. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface SandboxFile {
  name: string;
  content: string;
}

/** The sandbox could not run (never raised for anything the program does). */
export class SandboxError extends Error {
  constructor(
    readonly code: "unavailable" | "start_failed" | "bad_request",
    message: string,
  ) {
    super(message);
    this.name = "SandboxError";
  }
}

export interface SandboxInfo {
  bwrap: string;
  python: string;
  /** How the whole run's memory is capped (see sandbox-memory.ts). */
  memoryCap: MemoryCapKind;
  /** "uid-per-run": root, every concurrent run has a host uid of its own; "caller-uid": not root. */
  identity: "uid-per-run" | "caller-uid";
}

interface Plan {
  bwrap: string;
  layout: PythonLayout;
  memoryCap: MemoryCapKind;
  root: boolean;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

// Host uids for runs started as root: a block per grader process, well above ordinary users and
// below 2^31 (0x70000000…: unassigned by systemd's conventions, unlike container ranges).
const UID_BASE = 0x7000_0000 + (process.pid % 0x8000) * 0x200;
const slotsInUse = new Set<number>();
function takeSlot(): number {
  let slot = 0;
  while (slotsInUse.has(slot)) slot++;
  slotsInUse.add(slot);
  return slot;
}
const uidOf = (slot: number) => UID_BASE + (slot % 0x200);

const SHELL_JOIN = 'echo $$ > "$0" || exit 125; exec "$@"';

/** What to spawn: bwrap (behind a shell that joins the run's cgroup first, if any). */
function spawnArgs(
  plan: Plan,
  run: BwrapRun,
  uid: number | null,
  procsFile: string | null,
  extraFds: Array<"pipe" | number>,
) {
  const args = bwrapArgs(plan.layout, run);
  const [file, argv] = procsFile
    ? ["/bin/sh", ["-c", SHELL_JOIN, procsFile, plan.bwrap, ...args]]
    : [plan.bwrap, args];
  // cwd "/": the run's uid may not be allowed into the grader's folder
  const options = {
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
    stdio: ["pipe", "pipe", "pipe", "pipe", ...extraFds] as Array<"pipe" | number>,
    ...(uid === null ? {} : { uid, gid: uid }),
  };
  return { file, argv, options };
}

/** A descriptor holding the seccomp filter for a synchronous spawn (a file already unlinked). */
function seccompFile(filter: Buffer): number {
  const path = join(tmpdir(), `thinkprm-seccomp-${process.pid}-${Date.now()}`);
  const fd = openSync(path, "wx+", 0o600);
  unlinkSync(path);
  writeSync(fd, filter, 0, filter.length, 0); // positional: the descriptor stays at offset 0
  return fd;
}

/** Runs a tiny program in the sandbox exactly as the grader will; null when it works. */
function probe(plan: Plan): string | null {
  const slot = takeSlot();
  const filter = seccompFilter();
  const filterFd = filter ? seccompFile(filter) : null;
  try {
    const uid = plan.root ? uidOf(slot) : null;
    const run: BwrapRun = {
      files: [{ name: "main.py", fd: 0 }], // bwrap reads the program from stdin
      entry: "main.py",
      cpuSeconds: 5,
      memoryBytes: 512 * 2 ** 20,
      fileSizeBytes: 2 ** 20,
      processes: 8,
      tmpfsBytes: 2 ** 20,
      seccompFd: filterFd === null ? null : FIRST_FILE_FD,
    };
    const { file, argv, options } = spawnArgs(plan, run, uid, null, filterFd === null ? [] : [filterFd]);
    const program =
      "import os\nprint('ok', os.getuid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))";
    const r = spawnSync(file, argv, { ...options, input: program, timeout: 20_000, encoding: "utf8" });
    const out = String(r.output?.[1] ?? "").trim();
    if (String(r.output?.[STARTED_FD] ?? "") === "started\n" && out === "ok 1000 [1, 2]") return null;
    const why = String(r.output?.[2] ?? "").trim() || r.error?.message || `exit ${r.status}, output ${out}`;
    return `bwrap cannot build the sandbox${uid === null ? "" : ` as uid ${uid}`}: ${why}`;
  } finally {
    slotsInUse.delete(slot);
    if (filterFd !== null) closeSync(filterFd);
  }
}

let cachedPlan: Plan | string | undefined;

function plan(): Plan | string {
  if (cachedPlan === undefined) {
    try {
      cachedPlan = makePlan();
    } catch (e) {
      cachedPlan = `cannot prepare the sandbox: ${(e as Error).message}`;
    }
  }
  return cachedPlan;
}

function makePlan(): Plan | string {
  if (process.platform !== "linux") return "the sandbox needs Linux namespaces";
  const bwrap = findBwrap();
  if (!bwrap) return "bwrap not found (Debian: bubblewrap)";
  const layout = discoverPython();
  if (typeof layout === "string") return layout;
  const root = isRoot();
  const memoryCap = chooseMemoryCap(root ? uidOf(0x1ff) : null);
  const p: Plan = { bwrap, layout, memoryCap, root };
  return probe(p) ?? p;
}

/** Why the sandbox cannot run here, or null when it can (probed once per process). */
export function sandboxUnavailable(): string | null {
  const p = plan();
  return typeof p === "string" ? p : null;
}

/** How the sandbox runs here, or why it cannot. */
export function sandboxInfo(): SandboxInfo | string {
  const p = plan();
  if (typeof p === "string") return p;
  return {
    bwrap: p.bwrap,
    python: p.layout.executable,
    memoryCap: p.memoryCap,
    identity: p.root ? "uid-per-run" : "caller-uid",
  };
}

/** The bwrap arguments a run of `python3 main.py` gets (for documentation and debugging). */
export function sandboxCommandLine(limits: SandboxLimits = DEFAULT_LIMITS): string[] {
  const p = plan();
  if (typeof p === "string") throw new SandboxError("unavailable", `the sandbox cannot run here: ${p}`);
  return [p.bwrap, ...bwrapArgs(p.layout, runOf([{ name: "main.py", content: "" }], "main.py", limits).run)];
}

/** A run's bwrap settings; its files arrive on descriptors 4…, then the seccomp filter. */
function runOf(files: SandboxFile[], entry: string, limits: SandboxLimits) {
  // rlimits are whole numbers (CPU in seconds)
  const memoryBytes = Math.floor(limits.memoryMb * 2 ** 20);
  const filter = seccompFilter();
  const run: BwrapRun = {
    files: files.map((f, i) => ({ name: f.name, fd: FIRST_FILE_FD + i })),
    entry,
    cpuSeconds: Math.ceil(limits.cpuSeconds),
    memoryBytes,
    fileSizeBytes: Math.floor(limits.outputBytes * 4),
    processes: Math.floor(limits.processes),
    tmpfsBytes: memoryBytes,
    seccompFd: filter ? FIRST_FILE_FD + files.length : null,
  };
  // what each extra descriptor carries, in order
  const feeds = [...files.map((f) => f.content), ...(filter ? [filter] : [])];
  return { run, feeds };
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/**
 * Runs `python3 main.py` (with the given files) in a fresh sandbox with `stdin`; resolves with
 * the status and the (capped) output. Never rejects for anything the program does; rejects with
 * a SandboxError when the sandbox itself cannot run (nothing runs unsandboxed).
 * `extraHidden` is accepted for compatibility and needs nothing: the sandbox shows no host folder
 * but the interpreter's.
 */
export async function runPythonSandboxed(
  files: SandboxFile[],
  stdin: string,
  limits: SandboxLimits = DEFAULT_LIMITS,
  options: { extraHidden?: string[]; entry?: string } = {},
): Promise<SandboxResult> {
  const p = plan();
  if (typeof p === "string") throw new SandboxError("unavailable", `the sandbox cannot run here: ${p}`);
  const entry = options.entry ?? "main.py";
  const bad = Object.entries(limits).filter(([, v]) => !(Number.isFinite(v) && v > 0));
  if (bad.length > 0)
    throw new SandboxError("bad_request", `sandbox limits must be positive numbers: ${JSON.stringify(bad)}`);
  const names = new Set(files.map((f) => f.name));
  if (files.some((f) => !SAFE_NAME.test(f.name)) || names.size !== files.length || !names.has(entry))
    throw new SandboxError("bad_request", `bad sandbox files ${JSON.stringify([...names])} (entry ${entry})`);
  const slot = takeSlot();
  try {
    return await runOnce(p, files, stdin, limits, entry, p.root ? uidOf(slot) : null);
  } finally {
    slotsInUse.delete(slot);
  }
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

function runOnce(
  p: Plan,
  files: SandboxFile[],
  stdin: string,
  limits: SandboxLimits,
  entry: string,
  uid: number | null,
): Promise<SandboxResult> {
  const { run, feeds } = runOf(files, entry, limits);
  const cap = memoryCapFor(run.memoryBytes, uid);
  const { file, argv, options } = spawnArgs(
    p,
    run,
    uid,
    cap.procsFile,
    feeds.map(() => "pipe"),
  );
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // a process group of its own, so the wall-time kill reaches the outer bwrap whatever it forked
    const child = spawn(file, argv, { ...options, detached: true });
    let status: RunStatus | null = null;
    let programStarted = false;
    let settled = false;
    const kill = (why: RunStatus) => {
      status ??= why;
      cap.killAll();
      killGroup(child);
    };
    const timer = setTimeout(() => kill("timeout"), limits.wallMs);
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    for (const name of ["stdout", "stderr"] as const) {
      let bytes = 0;
      child[name]!.on("data", (chunk: Buffer) => {
        const room = limits.outputBytes - bytes;
        bytes += chunk.length;
        if (room > 0) output[name].push(room >= chunk.length ? chunk : chunk.subarray(0, room));
        if (bytes > limits.outputBytes) kill("output_limit");
      });
    }
    (child.stdio[STARTED_FD] as Readable).on("data", () => {
      programStarted = true;
    });
    for (const [i, feed] of feeds.entries()) {
      const pipe = child.stdio[FIRST_FILE_FD + i] as Writable;
      pipe.on("error", () => {}); // bwrap may die before reading it; its stderr says why
      pipe.end(feed);
    }
    child.stdin!.on("error", () => {}); // the program may exit without reading its input
    child.stdin!.end(stdin);
    if (child.pid !== undefined) cap.watch(child.pid, () => kill("memory"));
    // every sandbox process dies with the outer bwrap; should one still hold a pipe, stop waiting
    child.on("exit", () => {
      setTimeout(() => {
        for (const s of child.stdio) s?.destroy();
      }, 2000).unref();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      void cap.finish();
      reject(new SandboxError("start_failed", `cannot start the sandbox: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      void cap.finish().then((memoryKilled) => {
        if (settled) return;
        settled = true;
        const stdout = Buffer.concat(output.stdout).toString("utf8");
        const stderr = Buffer.concat(output.stderr).toString("utf8");
        if (!programStarted && status === null && !memoryKilled) {
          reject(
            new SandboxError("start_failed", `the sandbox did not start: ${stderr.trim() || `exit ${code}`}`),
          );
          return;
        }
        const exitCode = programStarted ? code : null;
        // 152 = 128 + SIGXCPU (the CPU soft limit), 137 = 128 + SIGKILL (the hard limit)
        const final: RunStatus =
          status ??
          (memoryKilled
            ? "memory"
            : exitCode === 152 || exitCode === 137
              ? "timeout"
              : /MemoryError/.test(stderr)
                ? "memory"
                : exitCode === 0
                  ? "ok"
                  : "runtime_error");
        resolve({
          status: final,
          exitCode,
          signal,
          stdout,
          stderr: stderr.slice(-4000),
          wallMs: Date.now() - started,
        });
      });
    });
  });
}
