/**
 * Running untrusted Python programs (code candidates) under limits, on Linux with util-linux:
 * - no network: a new network namespace (only a loopback that is down);
 * - no way out of its directory: a new mount namespace in which the project, the home folders and
 *   `extraHidden` are covered by empty read-only tmpfs, and the world-writable folders (/tmp,
 *   /var/tmp, /dev/shm) are read-only except the program's own temporary directory; as root the
 *   program also runs as `nobody`, so it can write nowhere else;
 * - nothing outlives it: a new PID namespace whose init is killed at the wall-time limit, which
 *   takes every process the program started (fork bombs included) with it;
 * - CPU time, address space, file size, process count and open files capped with rlimits;
 *   stdout and stderr capped by the reader (the program is killed when it writes more).
 * The temporary directory is removed afterwards. Not a substitute for a VM against kernel
 * exploits; it is the isolation the benchmark's own harness lacks.
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface SandboxLimits {
  /** Wall-clock limit in ms (the whole run, start-up included). */
  wallMs: number;
  /** CPU seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Address space in MiB (RLIMIT_AS). */
  memoryMb: number;
  /** Bytes of stdout and of stderr kept; more kills the program. */
  outputBytes: number;
  /** Processes and threads (RLIMIT_NPROC, counted per user). */
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

/** Why the sandbox cannot run here, or null when it can. */
export function sandboxUnavailable(): string | null {
  if (process.platform !== "linux") return "the sandbox needs Linux namespaces";
  for (const tool of ["unshare", "prlimit", "python3"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} not found (Debian: util-linux, python3)`;
  }
  const probe = spawnSync("unshare", [...namespaceArgs(), "true"]);
  if (probe.status !== 0)
    return `cannot create namespaces: ${probe.stderr.toString().trim() || `exit ${probe.status}`}`;
  return null;
}

/** This package's own folder (hidden too: the user's project may be elsewhere). */
const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
const NOBODY = 65534;

function namespaceArgs(): string[] {
  return [
    ...(isRoot() ? [] : ["--user", "--map-root-user"]),
    "--net",
    "--mount",
    "--pid",
    "--fork",
    "--kill-child",
  ];
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The shell run as root inside the namespaces: hide and freeze, then drop to the program. */
function setupScript(dir: string, hidden: string[], command: string[]): string {
  const lines = ["set -e", "mount --make-rprivate /"];
  // freeze first, then hide: a (non-recursive) bind of /tmp made after hiding a project that lives
  // under /tmp would uncover it again
  for (const w of ["/tmp", "/var/tmp", "/dev/shm"]) {
    lines.push(`if [ -d ${w} ]; then mount --bind ${w} ${w}; mount -o remount,bind,ro ${w}; fi`);
  }
  for (const h of hidden)
    lines.push(`[ -d ${q(h)} ] && mount -t tmpfs -o ro,size=4k,mode=755 tmpfs ${q(h)} || true`);
  // the program's own folder stays writable (it lies under /tmp, frozen just above)
  lines.push(`mount --bind ${q(dir)} ${q(dir)}`, `mount -o remount,bind,rw ${q(dir)}`, `cd ${q(dir)}`);
  const drop = isRoot() ? `setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups --no-new-privs ` : "";
  // a shell outside the rlimits reports the program's exit status on fd 3, which the program
  // itself does not get (so it cannot forge it), and which survives a death by SIGXCPU
  const inner = `${command.map(q).join(" ")} 3>&-; echo $? >&3`;
  lines.push(`exec ${drop}sh -c ${q(inner)}`);
  return lines.join("\n");
}

/**
 * Runs `python3 main.py` (with the given files) in a fresh directory with `stdin`; resolves with
 * the status and the (capped) output. Never rejects for anything the program does.
 */
export function runPythonSandboxed(
  files: SandboxFile[],
  stdin: string,
  limits: SandboxLimits = DEFAULT_LIMITS,
  options: { extraHidden?: string[]; entry?: string } = {},
): Promise<SandboxResult> {
  const dir = mkdtempSync(join(tmpdir(), "thinkprm-sandbox-"));
  for (const f of files) writeFileSync(join(dir, f.name), f.content);
  if (isRoot()) chownSync(dir, NOBODY, NOBODY);
  const hidden = [
    ...new Set([process.cwd(), PACKAGE_ROOT, homedir(), "/root", "/home", ...(options.extraHidden ?? [])]),
  ].filter((h) => !dir.startsWith(`${h}/`) && h !== "/");
  const rlimits = [
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryMb * 2 ** 20}`,
    `--fsize=${limits.outputBytes * 4}`,
    `--nproc=${limits.processes}`,
    "--nofile=64",
    "--core=0",
  ];
  const command = ["prlimit", ...rlimits, "--", "python3", "-I", "-B", options.entry ?? "main.py"];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("unshare", [...namespaceArgs(), "sh", "-c", setupScript(dir, hidden, command)], {
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", PYTHONHASHSEED: "0" },
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    let status: RunStatus | null = null;
    const kill = (why: RunStatus) => {
      status ??= why;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill("timeout"), limits.wallMs);
    const out = { stdout: "", stderr: "" };
    for (const name of ["stdout", "stderr"] as const) {
      let bytes = 0;
      child[name].on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > limits.outputBytes) return kill("output_limit");
        out[name] += chunk.toString("utf8");
      });
    }
    let reported = "";
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => {
      reported += chunk.toString("utf8");
    });
    child.stdin.on("error", () => {}); // the program may exit without reading its input
    child.stdin.end(stdin);
    child.on("close", (_code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const programCode = /^\d+$/.test(reported.trim()) ? Number(reported.trim()) : null;
      // 152 = 128 + SIGXCPU (the CPU soft limit), 137 = 128 + SIGKILL (the hard limit)
      const cpuKilled = programCode === 152 || programCode === 137;
      const final: RunStatus =
        status ??
        (programCode === null
          ? "runtime_error"
          : cpuKilled
            ? "timeout"
            : /MemoryError/.test(out.stderr)
              ? "memory"
              : programCode === 0
                ? "ok"
                : "runtime_error");
      resolve({
        status: final,
        exitCode: programCode,
        signal,
        stdout: out.stdout,
        stderr: out.stderr.slice(-4000),
        wallMs: Date.now() - started,
      });
    });
  });
}
