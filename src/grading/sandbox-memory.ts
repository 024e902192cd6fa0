/**
 * The memory cap of a whole sandboxed run (every process it forks together), in the strongest form
 * the machine allows:
 * - "cgroup2" / "cgroup1": a memory cgroup per run (memory.max, or memory.limit_in_bytes on the
 *   v1 hierarchy), joined by the run's first process before it starts bwrap; the kernel counts
 *   every page of every process and of the private tmpfs, and kills inside the run at the cap.
 *   Needs a memory cgroup we may create children in: root on most machines (this one has a v1
 *   memory hierarchy), or a delegated cgroup v2 subtree.
 * - "watchdog" otherwise (an ordinary user without delegation, a container with a read-only
 *   /sys/fs/cgroup): every 50 ms the host sums the proportional resident memory (PSS) of the run's
 *   processes and kills the run over the cap. A program can overshoot for at most one interval;
 *   every process is also capped at the limit by RLIMIT_AS, and the tmpfs folders by their size.
 * - "per-process" where not even that works (a kernel without /proc/<pid>/task/<tid>/children):
 *   only RLIMIT_AS per process, so a run's total is bounded by processes × limit.
 * Nothing here throws on what the program left behind: cleanup retries, then leaves an empty
 * cgroup for the next process's sweep.
 */
import { spawnSync } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export type MemoryCapKind = "cgroup2" | "cgroup1" | "watchdog" | "per-process";

export interface MemoryCap {
  kind: MemoryCapKind;
  /** The file the run's first process writes its pid into to join its cgroup (cgroups only). */
  procsFile: string | null;
  /** Starts watching the processes below `rootPid` (the watchdog only). */
  watch(rootPid: number, onExceeded: () => void): void;
  /** Kills every process of the run (on top of killing the outer bwrap, which takes its namespace). */
  killAll(): void;
  /** Whether the run was killed for memory; then frees everything. Never throws. */
  finish(): Promise<boolean>;
}

interface CgroupBase {
  kind: "cgroup2" | "cgroup1";
  dir: string;
}

const PREFIX = "thinkprm-sb-";
const WATCH_INTERVAL_MS = 50;
let sequence = 0;

const readOr = (path: string, fallback = "") => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
};
const unescapeMount = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** The host folders of the cgroups this process is in: its memory cgroup (v1) and its v2 cgroup. */
function ownCgroupDirs(): CgroupBase[] {
  const mounts = readOr("/proc/self/mountinfo")
    .split("\n")
    .map((line) => {
      const [left, right] = line.split(" - ");
      const f = left?.split(" ") ?? [];
      const r = right?.split(" ") ?? [];
      return {
        root: unescapeMount(f[3] ?? ""),
        point: unescapeMount(f[4] ?? ""),
        type: r[0],
        options: r[2] ?? "",
      };
    });
  const found: CgroupBase[] = [];
  for (const line of readOr("/proc/self/cgroup").split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, hierarchy, controllers, path] = m as unknown as [string, string, string, string];
    const v2 = hierarchy === "0" && controllers === "";
    if (!v2 && !controllers.split(",").includes("memory")) continue;
    const mount = mounts.find((mt) =>
      v2 ? mt.type === "cgroup2" : mt.type === "cgroup" && mt.options.split(",").includes("memory"),
    );
    if (!mount || !(path === mount.root || path.startsWith(mount.root === "/" ? "/" : `${mount.root}/`)))
      continue;
    const dir = join(mount.point, mount.root === "/" ? path : path.slice(mount.root.length));
    if (!v2) found.push({ kind: "cgroup1", dir });
    else {
      // v2: children with memory.max need `memory` in the parent's subtree_control; this process's
      // own cgroup rarely has it (no internal processes), a delegated ancestor may
      for (let d = dir; d.startsWith(mount.point); d = join(d, "..")) {
        if (readOr(join(d, "cgroup.subtree_control")).split(/\s+/).includes("memory")) {
          found.push({ kind: "cgroup2", dir: d });
          break;
        }
        if (d === mount.point) break;
      }
    }
  }
  // v2 first: the unified hierarchy is the maintained one
  return found.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "cgroup2" ? -1 : 1));
}

function killAll(procsFile: string): void {
  for (const pid of readOr(procsFile).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/** Removes a run's cgroup, killing what is left in it; retries while its processes exit. */
async function removeCgroup(dir: string): Promise<boolean> {
  for (let attempt = 0; attempt < 40; attempt++) {
    killAll(join(dir, "cgroup.procs"));
    try {
      rmdirSync(dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
      await new Promise((done) => setTimeout(done, 25).unref()); // else swept by a later process
    }
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the cgroups of earlier processes that died before cleaning up. */
function sweepStale(base: CgroupBase): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(base.dir).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const owner = Number(name.slice(PREFIX.length).split("-")[0]);
    if (owner === process.pid || isAlive(owner)) continue;
    killAll(join(base.dir, name, "cgroup.procs"));
    try {
      rmdirSync(join(base.dir, name));
    } catch {
      // still busy; the next sweep tries again
    }
  }
}

function createCgroup(base: CgroupBase, bytes: number, uid: number | null): string {
  const dir = join(base.dir, `${PREFIX}${process.pid}-${sequence++}`);
  mkdirSync(dir);
  try {
    if (base.kind === "cgroup2") {
      writeFileSync(join(dir, "memory.max"), String(bytes));
      if (existsSync(join(dir, "memory.swap.max"))) writeFileSync(join(dir, "memory.swap.max"), "0");
    } else {
      writeFileSync(join(dir, "memory.limit_in_bytes"), String(bytes));
      // with swap accounting, memory + swap too (else the cap would only move pages to swap)
      if (existsSync(join(dir, "memory.memsw.limit_in_bytes")))
        writeFileSync(join(dir, "memory.memsw.limit_in_bytes"), String(bytes));
    }
    // the run's first process (already the sandbox's own uid, as root) moves itself in
    if (uid !== null) chownSync(join(dir, "cgroup.procs"), uid, uid);
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  return dir;
}

const oomKills = (base: CgroupBase, dir: string) => {
  const file = base.kind === "cgroup2" ? "memory.events" : "memory.oom_control";
  return Number(/^oom_kill (\d+)$/m.exec(readOr(join(dir, file)))?.[1] ?? 0);
};

/** Whether a process of `uid` (null: this process's own) can create and join a capped cgroup there. */
function cgroupWorks(base: CgroupBase, uid: number | null): boolean {
  let dir: string;
  try {
    dir = createCgroup(base, 64 * 2 ** 20, uid);
  } catch {
    return false;
  }
  const procs = join(dir, "cgroup.procs");
  const joined = spawnSync("/bin/sh", ["-c", 'echo $$ > "$0"', procs], uid === null ? {} : { uid, gid: uid });
  killAll(procs);
  try {
    rmdirSync(dir);
  } catch {
    // an exiting shell; swept later
  }
  return joined.status === 0;
}

/** The memory cgroup folder runs are created in (null: the watchdog), chosen once per process. */
let chosenBase: CgroupBase | null | undefined;

export function chooseMemoryCap(probeUid: number | null): MemoryCapKind {
  if (chosenBase === undefined) {
    chosenBase = ownCgroupDirs().find((b) => cgroupWorks(b, probeUid)) ?? null;
    if (chosenBase) sweepStale(chosenBase);
  }
  return chosenBase?.kind ?? (canWatch() ? "watchdog" : "per-process");
}

/** Whether this kernel lists a task's children (CONFIG_PROC_CHILDREN), which the watchdog walks. */
const canWatch = () => existsSync(`/proc/self/task/${process.pid}/children`);

/** The cap of one run; `uid` is the sandbox's host uid when it differs from ours. */
export function memoryCapFor(bytes: number, uid: number | null): MemoryCap {
  const base = chosenBase;
  let dir: string | null = null;
  if (base) {
    try {
      dir = createCgroup(base, bytes, uid);
    } catch {
      dir = null; // e.g. the cgroup went read-only since the probe: fall back to watching
    }
  }
  if (base && dir) {
    const cgroupDir = dir;
    return {
      kind: base.kind,
      procsFile: join(cgroupDir, "cgroup.procs"),
      watch: () => {},
      killAll: () => killAll(join(cgroupDir, "cgroup.procs")),
      finish: async () => {
        const killed = oomKills(base, cgroupDir) > 0;
        // the last processes may take a few ms to exit: the result does not wait for the removal
        void removeCgroup(cgroupDir);
        return killed;
      },
    };
  }
  let timer: NodeJS.Timeout | null = null;
  let exceeded = false;
  let watched: number | null = null;
  return {
    kind: canWatch() ? "watchdog" : "per-process",
    procsFile: null,
    watch(rootPid, onExceeded) {
      watched = rootPid;
      if (!canWatch()) return;
      timer = setInterval(() => {
        if (residentBytes(rootPid) > bytes) {
          exceeded = true;
          onExceeded();
        }
      }, WATCH_INTERVAL_MS);
      timer.unref();
    },
    killAll() {
      if (watched === null) return;
      for (const pid of processTree(watched)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    },
    finish: async () => {
      if (timer) clearInterval(timer);
      return exceeded;
    },
  };
}

/** A process and all its descendants (the children of every thread), root first. */
export function processTree(rootPid: number): number[] {
  const seen: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.includes(pid)) continue;
    seen.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited
    }
    for (const tid of tasks)
      for (const child of readOr(`/proc/${pid}/task/${tid}/children`).split(" ").filter(Boolean))
        stack.push(Number(child));
  }
  return seen;
}

/** The proportional resident memory (PSS; shared pages split) of a process and its descendants. */
export function residentBytes(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    const pss = /^Pss:\s+(\d+) kB$/m.exec(readOr(`/proc/${pid}/smaps_rollup`))?.[1];
    total += pss ? Number(pss) * 1024 : Number(readOr(`/proc/${pid}/statm`, "0 0").split(" ")[1] ?? 0) * 4096;
  }
  return total;
}
