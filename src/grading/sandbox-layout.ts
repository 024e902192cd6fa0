/**
 * What a sandbox is made of: the Python interpreter it runs and the bubblewrap (bwrap) command line
 * that builds its world. The world is a read-only root holding only the interpreter, the shared
 * libraries it and its extension modules link (found with ldd; not those of readline, curses and
 * nis, which need a terminal or a network), its standard library and its site-packages; a fresh /proc for its own PID namespace; a minimal /dev; and size-capped tmpfs
 * folders (/tmp, /dev/shm) that vanish with the namespace — the host never creates, walks or
 * deletes a folder the program could touch. The program's files arrive through file descriptors.
 */
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The interpreter as the sandbox sees it, and the host paths it needs bound read-only. */
export interface PythonLayout {
  /** Absolute, symlinks resolved (the sandbox runs this path). */
  executable: string;
  version: readonly [number, number];
  /** [host source, sandbox destination], parents before children. */
  binds: ReadonlyArray<readonly [string, string]>;
}

/** Where the program lives inside the sandbox (on the private /tmp tmpfs). */
export const WORK_DIR = "/tmp/work";
/** The uid and gid the program has inside its user namespace. */
export const SANDBOX_ID = 1000;
/** The descriptor on which the bootstrap reports that the limits are set and the program starts. */
export const STARTED_FD = 3;
/** The first descriptor carrying a file of the program (the next ones carry the rest). */
export const FIRST_FILE_FD = 4;

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

function which(tool: string): string | null {
  for (const dir of SYSTEM_PATH.split(delimiter)) {
    const candidate = join(dir, tool);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export const findBwrap = (): string | null => which("bwrap");

/** The shared libraries a set of ELF files load, as ldd names them (the paths the loader searches). */
function sharedLibraries(files: string[]): string[] {
  const r = spawnSync("ldd", files, { encoding: "utf8", env: { PATH: SYSTEM_PATH, LANG: "C" } });
  if (r.error) throw new Error(`ldd failed: ${r.error.message} (Debian: libc-bin)`);
  const found = new Set<string>();
  // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
  for (const m of r.stdout.matchAll(/(?:=>\s*|^\s+)(\/\S+)\s+\(0x[0-9a-f]+\)/gm)) found.add(m[1]!);
  return [...found];
}

/** The system python3 (the one on the standard PATH, as the sandbox always ran) and what it needs. */
export function discoverPython(): PythonLayout | string {
  const python = which("python3");
  if (!python) return "python3 not found on /usr/local/bin:/usr/bin:/bin (Debian: python3)";
  const script = [
    "import glob, json, os, sys",
    "paths = [p for p in sys.path if p and os.path.exists(p)]",
    "exts = [f for p in paths if p.endswith('lib-dynload') for f in glob.glob(os.path.join(p, '*.so'))]",
    "print(json.dumps({'exe': os.path.realpath(sys.executable), 'version': list(sys.version_info[:2]),",
    "                  'paths': paths, 'exts': exts}))",
  ].join("\n");
  // -s: the user's site folder is not the sandbox's business; a clean environment (no PYTHONPATH)
  const r = spawnSync(python, ["-s", "-c", script], {
    encoding: "utf8",
    env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" },
  });
  if (r.status !== 0) return `${python} failed: ${r.stderr.trim() || r.error?.message || `exit ${r.status}`}`;
  const info = JSON.parse(r.stdout) as {
    exe: string;
    version: [number, number];
    paths: string[];
    exts: string[];
  };
  // modules for a terminal or a network directory service are no use without either, and their
  // libraries (nis alone pulls in Kerberos) would be a third of the binds, each costing start-up time
  const useful = info.exts.filter((f) => !/\/(nis|readline|_curses(_panel)?)\.[^/]*$/.test(f));
  let libs: string[];
  try {
    libs = sharedLibraries([info.exe, ...useful]);
  } catch (e) {
    return (e as Error).message;
  }
  const dirs = [...new Set(info.paths)].sort();
  const topDirs = dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`)));
  const inBoundDir = (p: string) => topDirs.some((d) => p.startsWith(`${d}/`));
  const files = [info.exe, ...libs].filter((f) => !inBoundDir(f));
  const binds = [...new Set([...topDirs, ...files])]
    .sort()
    .map((dest) => [realpathSync(dest), dest] as const);
  return { executable: info.exe, version: [info.version[0], info.version[1]], binds };
}

/**
 * Runs in the sandbox before the program: sets the per-process limits (argv: entry, CPU seconds,
 * address-space bytes, file-size bytes, processes), says on STARTED_FD that the program starts
 * (then closes every inherited descriptor, so the program can forge nothing), and runs the entry
 * as `__main__` in a module of its own, as `python3 entry` would.
 */
export const BOOTSTRAP = [
  "import os, sys, resource as r",
  "e, c, m, f, p = sys.argv[1], *map(int, sys.argv[2:6])",
  "for k, v in ((r.RLIMIT_CPU, (c, c + 1)), (r.RLIMIT_AS, (m, m)), (r.RLIMIT_FSIZE, (f, f)),",
  "             (r.RLIMIT_NPROC, (p, p)), (r.RLIMIT_NOFILE, (64, 64)), (r.RLIMIT_CORE, (0, 0))):",
  "    r.setrlimit(k, v)",
  `os.write(${STARTED_FD}, b'started\\n')`,
  `os.closerange(${STARTED_FD}, 0x7fffffff)`,
  "sys.argv[:] = [e]",
  "main = type(sys)('__main__')",
  "main.__file__, main.__builtins__ = e, __builtins__",
  "sys.modules['__main__'] = main",
  "with open(e, 'rb') as src:",
  "    code = compile(src.read(), e, 'exec')",
  "del os, r, e, c, m, f, p, k, v, src",
  "exec(code, main.__dict__)",
].join("\n");

/**
 * Syscalls refused (EPERM) by a seccomp filter, per architecture: the kernel keyring (not
 * namespaced: a session keyring inherited from the grader would be readable), and interfaces that
 * are mostly kernel attack surface for a test program (bpf, perf events, userfaultfd, io_uring).
 * Syscalls of any other ABI (x86's 32-bit and x32 entry points) are refused altogether.
 */
const REFUSED_SYSCALLS: Partial<Record<NodeJS.Architecture, { audit: number; numbers: number[] }>> = {
  // add_key, request_key, keyctl, bpf, perf_event_open, userfaultfd, io_uring_setup/enter/register
  x64: { audit: 0xc000003e, numbers: [248, 249, 250, 321, 298, 323, 425, 426, 427] },
  arm64: { audit: 0xc00000b7, numbers: [217, 218, 219, 280, 241, 282, 425, 426, 427] },
};

/** The classic-BPF seccomp program bwrap loads (--seccomp), or null on another architecture. */
export function seccompFilter(arch: NodeJS.Architecture = process.arch): Buffer | null {
  const refused = REFUSED_SYSCALLS[arch];
  if (!refused) return null;
  const LD_ABS = 0x20;
  const JEQ = 0x15;
  const JGE = 0x35;
  const RET = 0x06;
  const ALLOW = 0x7fff_0000;
  const EPERM = 0x0005_0000 | 1;
  const n = refused.numbers.length;
  // instructions: 0 load arch, 1 check arch, 2 load nr, 3 x32 check, 4.. one per syscall, allow, deny
  const deny = 4 + n + 1;
  const program: Array<[number, number, number, number]> = [
    [LD_ABS, 0, 0, 4], // seccomp_data.arch
    [JEQ, 0, deny - 2, refused.audit],
    [LD_ABS, 0, 0, 0], // seccomp_data.nr
    [JGE, deny - 4, 0, 0x4000_0000], // the x32 ABI
    ...refused.numbers.map((nr, i): [number, number, number, number] => [JEQ, deny - (4 + i) - 1, 0, nr]),
    [RET, 0, 0, ALLOW],
    [RET, 0, 0, EPERM],
  ];
  const buf = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

export interface BwrapRun {
  /** Each file and the descriptor its content arrives on. */
  files: ReadonlyArray<{ name: string; fd: number }>;
  /** The file run as the program. */
  entry: string;
  cpuSeconds: number;
  memoryBytes: number;
  fileSizeBytes: number;
  processes: number;
  /** Size of each private tmpfs (/tmp, /dev/shm). */
  tmpfsBytes: number;
  /** The descriptor the seccomp filter arrives on, if any. */
  seccompFd: number | null;
}

/** The bwrap arguments (after `bwrap`) for one run. */
export function bwrapArgs(layout: PythonLayout, run: BwrapRun): string[] {
  const binds = layout.binds.flatMap(([src, dest]) => ["--ro-bind", src, dest]);
  const files = run.files.flatMap((f) => ["--file", String(f.fd), `${WORK_DIR}/${f.name}`]);
  // -P (3.11+) keeps the working folder off sys.path, like -I did; -E is not needed (the
  // environment is cleared) and would drop PYTHONHASHSEED, which makes set order reproducible
  const safePath =
    layout.version[0] > 3 || (layout.version[0] === 3 && layout.version[1] >= 11) ? ["-P"] : [];
  return [
    ...["--unshare-user", "--uid", String(SANDBOX_ID), "--gid", String(SANDBOX_ID), "--disable-userns"],
    ...["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"],
    ...["--hostname", "sandbox", "--die-with-parent", "--new-session"],
    "--clearenv",
    ...["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", WORK_DIR, "--setenv", "TMPDIR", "/tmp"],
    ...["--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONHASHSEED", "0"],
    ...["--tmpfs", "/"],
    ...binds,
    ...["--proc", "/proc", "--dev", "/dev"],
    ...["--size", String(run.tmpfsBytes), "--tmpfs", "/dev/shm"],
    ...["--size", String(run.tmpfsBytes), "--tmpfs", "/tmp", "--dir", WORK_DIR],
    ...files,
    ...["--remount-ro", "/", "--chdir", WORK_DIR],
    ...(run.seccompFd === null ? [] : ["--seccomp", String(run.seccompFd)]),
    "--",
    layout.executable,
    ...["-s", "-B", ...safePath, "-c", BOOTSTRAP],
    run.entry,
    String(run.cpuSeconds),
    String(run.memoryBytes),
    String(run.fileSizeBytes),
    String(run.processes),
  ];
}
