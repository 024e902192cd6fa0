// The attacks of issue #13 on the code grader, each through the real grader (gradeProgram) with at
// least two tests in parallel, once as root (when the suite runs as root) and once as an ordinary
// user (uid 65534 through setpriv when root, else the caller). Host-side checks (canary files,
// a real unix-socket server, leftover files and processes) are made by this process.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeTest } from "../../src/datasets/livecodebench.js";
import { type GradeOptions, gradeProgram, type ProgramGrade } from "../../src/grading/code.js";
import {
  type SandboxInfo,
  type SandboxLimits,
  sandboxInfo,
  sandboxUnavailable,
} from "../../src/grading/sandbox.js";
import { REPO_ROOT } from "../helpers.js";

const LIMITS: SandboxLimits = {
  wallMs: 8000,
  cpuSeconds: 3,
  memoryMb: 256,
  outputBytes: 1 << 20,
  processes: 16,
};
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const stamp = `${process.pid}x${Date.now()}`;
const stdin = (input: string, output: string): CodeTest => ({ input, output, testtype: "stdin" });

type Grader = (program: string, tests: CodeTest[], options?: GradeOptions) => Promise<ProgramGrade>;
const withDefaults = (options: GradeOptions = {}): GradeOptions => ({
  parallel: 2,
  stopAtFirstFailure: false,
  limits: LIMITS,
  ...options,
});
const inProcess: Grader = (program, tests, options) => gradeProgram(program, tests, withDefaults(options));

const unavailable = sandboxUnavailable();
if (unavailable) console.warn(`sandbox attack tests skipped: ${unavailable}`);

/**
 * As root, the ordinary-user half runs the real grader in a process of uid 65534. The checkout may
 * be unreadable to that uid (a clone in a private temporary folder), so the grader script is
 * bundled (esbuild, which tsx brings) into a folder everyone can read.
 */
function bundleForNobody(): { script: string } | { skip: string } {
  if (!isRoot || unavailable) return { skip: "not root" };
  try {
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-grader-"));
    chmodSync(dir, 0o755);
    const script = join(dir, "grade-as-caller.mjs");
    buildSync({
      entryPoints: [join(REPO_ROOT, "test/grading/grade-as-caller.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: script,
      logLevel: "silent",
    });
    chmodSync(script, 0o644);
    const probe = spawnSync("setpriv", [`--reuid=${NOBODY}`, "--clear-groups", "test", "-r", script]);
    return probe.status === 0 ? { script } : { skip: `uid ${NOBODY} cannot read ${script}` };
  } catch (e) {
    return { skip: `cannot bundle the grader for uid ${NOBODY}: ${(e as Error).message}` };
  }
}
const nobody = bundleForNobody();
if (isRoot && "skip" in nobody) console.warn(`ordinary-user sandbox attacks skipped: ${nobody.skip}`);
afterAll(() => {
  if ("script" in nobody) rmSync(dirname(nobody.script), { recursive: true, force: true });
});

/** The real grader in a process of uid 65534 (this suite runs as root). */
const asNobody: Grader = (program, tests, options) =>
  new Promise((resolve, reject) => {
    if (!("script" in nobody)) return reject(new Error(nobody.skip));
    const child = spawn(
      "setpriv",
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, nobody.script],
      { cwd: "/", env: { PATH: "/usr/bin:/bin", HOME: "/", LANG: "C.UTF-8" } },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.stdin.end(JSON.stringify({ program, tests, options: withDefaults(options) }));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`grader as uid ${NOBODY} failed: ${err}`));
      const r = JSON.parse(out) as { uid: number; info: SandboxInfo; grade: ProgramGrade };
      if (r.uid !== NOBODY || r.info.identity !== "caller-uid")
        return reject(new Error(`not an ordinary user: ${out}`));
      resolve(r.grade);
    });
  });

const modes: { name: string; grade: Grader }[] = [
  ...(isRoot ? [{ name: "as root", grade: inProcess }] : []),
  ...(!isRoot
    ? [{ name: "as an ordinary user", grade: inProcess }]
    : "script" in nobody
      ? [{ name: "as an ordinary user", grade: asNobody }]
      : []),
];

/** Host paths (not the sandbox's) where a file named `name` appears, searched two levels deep. */
function onHost(name: string): string[] {
  const hits: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.includes(name)) hits.push(join(dir, e));
      if (depth > 0) walk(join(dir, e), depth - 1);
    }
  };
  for (const dir of [tmpdir(), "/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", REPO_ROOT]) walk(dir, 1);
  return hits;
}
const processesMatching = (needle: string) =>
  execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle));
const statuses = (g: ProgramGrade) => g.tests.map((t) => t.status);

describe.each(unavailable === null ? modes : [])("the sandbox under attack, $name", ({ grade }) => {
  it("a sibling's symlink race cannot make the grader delete anything outside", async () => {
    const canaries = mkdtempSync(join(tmpdir(), "thinkprm-canary-"));
    for (let i = 0; i < 20; i++) writeFileSync(join(canaries, `c${i}`), `canary ${i}`);
    const program = `import glob, os, sys, time
me = sys.stdin.read().strip()
open('token-${stamp}-' + me, 'w').write(me)
os.makedirs('deep/a/b/c')
found, i, deadline = set(), 0, time.time() + 1.5
while time.time() < deadline:
    for p in glob.glob('/proc/*/root/tmp/work/token-*') + glob.glob('/proc/*/cwd/token-*') + glob.glob('/tmp/*/token-*'):
        if not p.endswith('-' + me):
            found.add(p)
    name = 'deep/a/b/c/x%d' % (i % 4)
    try:
        if os.path.islink(name):
            os.unlink(name); os.mkdir(name)
        elif os.path.isdir(name):
            os.rmdir(name); os.symlink(${JSON.stringify(canaries)}, name)
        else:
            os.symlink(${JSON.stringify(canaries)}, name)
    except OSError:
        pass
    for f in glob.glob(${JSON.stringify(canaries)} + '/*'):
        try:
            os.remove(f)
        except OSError:
            pass
    i += 1
    time.sleep(0.01)
for k in range(20):
    os.symlink(${JSON.stringify(canaries)}, 'canaries%d' % k)
    os.symlink('/', 'root%d' % k)
print('foreign', sorted(found))`;
    const g = await grade(program, [stdin("A", "foreign []"), stdin("B", "foreign []")]);
    expect(statuses(g)).toEqual(["pass", "pass"]);
    expect(readdirSync(canaries)).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(readFileSync(join(canaries, `c${i}`), "utf8")).toBe(`canary ${i}`);
    expect(onHost(`token-${stamp}`)).toEqual([]);
    rmSync(canaries, { recursive: true });
  }, 60_000);

  it("cannot read or plant files in a sibling's folder (the functional driver stays intact)", async () => {
    const program = `import glob, os, time
class Solution:
    def role(self, r):
        if r == 'quick':
            return 'quick'
        if r == 'victim':
            time.sleep(0.3)
            return 'intact'
        open('attacker-${stamp}', 'w').write('me')
        planted = read = 0
        deadline = time.time() + 2.5
        while time.time() < deadline:
            for d in set(glob.glob('/proc/*/root/tmp/work') + glob.glob('/proc/*/cwd') + glob.glob('/tmp/*')):
                if os.path.exists(os.path.join(d, 'attacker-${stamp}')):
                    continue
                try:
                    open(os.path.join(d, 'solution.py')).read(); read += 1
                except OSError:
                    pass
                for mod in ('json.py', 'solution.py'):
                    try:
                        open(os.path.join(d, mod), 'w').write("class Solution:\\n    def role(self, r): return 'pwned'\\n"); planted += 1
                    except OSError:
                        pass
            time.sleep(0.02)
        return [planted, read]`;
    const fn = (input: string, output: string): CodeTest => ({ input, output, testtype: "functional" });
    const tests = [fn('"attacker"', "[0, 0]"), fn('"quick"', '"quick"'), fn('"victim"', '"intact"')];
    const g = await grade(program, tests, { funcName: "role" });
    expect(statuses(g)).toEqual(["pass", "pass", "pass"]);
    expect(onHost(`attacker-${stamp}`)).toEqual([]);
  }, 60_000);

  it("sees only its own processes in /proc", async () => {
    const comm = basename((sandboxInfo() as SandboxInfo).python).slice(0, 15);
    const program = `import os, time
time.sleep(0.5)
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print(pids, [open('/proc/%d/comm' % p).read().strip() for p in pids], os.path.exists('/proc/${process.pid}'))`;
    const expected = `[1, 2] ['bwrap', '${comm}'] False`;
    const g = await grade(program, [stdin("", expected), stdin("", expected)]);
    expect(statuses(g)).toEqual(["pass", "pass"]);
  }, 60_000);

  describe("host unix sockets", () => {
    // made when the tests run (not when they are collected, which also happens when filtered out)
    let dir = "";
    let path = "";
    let abstract = "";
    let server: ChildProcess;
    let log = "";
    const hits = () => log.split("\n").filter((l) => l === "hit").length;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "thinkprm-sock-"));
      chmodSync(dir, 0o777);
      path = join(dir, "service.sock");
      abstract = `\0thinkprm-${basename(dir)}`; // one per mode: the previous server may linger
      // a real service on the host (Python: Node pads abstract names), open to every uid, that
      // writes one line per connection
      // (one lock for both threads: two prints at once can interleave as "hithit" and an empty line)
      const serve = `import os, socket, sys, threading
out = threading.Lock()
def serve(s):
    while True:
        c, _ = s.accept()
        with out:
            sys.stdout.write('hit\\n')
            sys.stdout.flush()
        c.close()
for a in (${JSON.stringify(path)}, ${JSON.stringify(abstract)}):
    s = socket.socket(socket.AF_UNIX)
    s.bind(a)
    s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
os.chmod(${JSON.stringify(path)}, 0o777)
print('ready', flush=True)
sys.stdin.read()`;
      server = spawn("python3", ["-c", serve]);
      await new Promise<void>((ready) =>
        server.stdout!.on("data", (d) => {
          log += d;
          if (log.includes("ready")) ready();
        }),
      );
    });
    afterAll(() => {
      server?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // the server's socket file, every socket file under /run and /tmp (the sandbox's view), the abstract one
    const connect = (scan: boolean) => `import glob, os, socket, stat
targets = [${JSON.stringify(path)}]
if ${scan ? "True" : "False"}:
    targets += glob.glob('/run/**', recursive=True) + glob.glob('/var/run/**', recursive=True) + glob.glob('/tmp/**', recursive=True)
reached = 0
for t in targets:
    try:
        if t != targets[0] and not stat.S_ISSOCK(os.stat(t).st_mode):
            continue
    except OSError:
        continue
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    try:
        s.connect(t); reached += 1
    except OSError:
        pass
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(${JSON.stringify(abstract)}); reached += 1
except OSError:
    pass
print('reached', reached)`;

    it("a control run outside the sandbox reaches both servers", async () => {
      const out = await new Promise<string>((done) => {
        const child = spawn("python3", ["-c", connect(false)]);
        let text = "";
        child.stdout.on("data", (d) => (text += d));
        child.on("close", () => done(text));
      });
      // the server logs its connections on its own time
      for (let i = 0; i < 100 && hits() < 2; i++) await new Promise((done) => setTimeout(done, 50));
      expect(out.trim()).toBe("reached 2");
      expect(hits()).toBe(2);
    });

    it("the sandbox reaches neither the socket file nor the abstract socket", async () => {
      const before = hits();
      const g = await grade(connect(true), [stdin("", "reached 0"), stdin("", "reached 0")]);
      await new Promise((done) => setTimeout(done, 500));
      expect(statuses(g)).toEqual(["pass", "pass"]);
      expect(hits()).toBe(before);
    }, 60_000);
  });

  it("writes under /run, /var/lock and the system folders are refused; /tmp and /dev/shm are private", async () => {
    const shared = ["/run/lock", "/run", "/var/lock", "/var/run", "/var/tmp", "/", "/usr", "/etc"];
    const targets = [...shared, "/dev/shm", "/tmp"].map((d) => `${d.replace(/\/$/, "")}/escape-${stamp}`);
    const program = `for p in ${JSON.stringify(targets)}:
    try:
        open(p, 'w').write('x'); print('wrote', p)
    except OSError:
        print('refused', p)`;
    const expected = targets.map((t, i) => `${i < shared.length ? "refused" : "wrote"} ${t}`).join("\n");
    const g = await grade(program, [stdin("", expected), stdin("", expected)]);
    expect(statuses(g)).toEqual(["pass", "pass"]);
    for (const t of targets) expect(existsSync(t)).toBe(false);
  }, 60_000);

  it("memory is capped across a run's forked children", async () => {
    const program = `import os, time
kids = []
for i in range(6):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(100 * 1024 * 1024)
            time.sleep(3)
        finally:
            os._exit(0)
    kids.append(pid)
for k in kids:
    os.waitpid(k, 0)
print('done')`;
    // 6 × 100 MiB against a 256 MiB cap: without a cap across processes both tests would pass
    const g = await grade(program, [stdin("", "done"), stdin("", "done")]);
    expect(statuses(g)).toEqual(["memory", "memory"]);
  }, 60_000);

  it("a sibling's fork bomb does not starve a correct threaded program", async () => {
    const program = `import os, sys, threading, time
if sys.stdin.read().strip() == 'bomb':
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
time.sleep(0.7)
out = []
threads = [threading.Thread(target=lambda i=i: out.append(sum(range(10 ** 5)) + i)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print('threads', len(out))`;
    const g = await grade(program, [stdin("bomb", "x"), stdin("threads", "threads 8")], {
      limits: { ...LIMITS, wallMs: 4000 },
    });
    expect(statuses(g)).toEqual(["timeout", "pass"]);
  }, 60_000);

  it("deep trees, unreadable folders and hidden processes left behind harm nothing", async () => {
    const program = `import os, signal, sys
base = os.getcwd()
for i in range(3000):
    os.mkdir('d')
    os.chdir('d')
os.chdir(base)
os.makedirs('locked-${stamp}/inner')
open('locked-${stamp}/inner/f', 'w').write('x')
os.chmod('locked-${stamp}/inner', 0)
os.chmod('locked-${stamp}', 0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.execv(sys.executable, [sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)', 'survivor-${stamp}'])
    os._exit(0)
os.chmod(base, 0)
print('left behind')`;
    const started = Date.now();
    const g = await grade(program, [stdin("", "left behind"), stdin("", "left behind")]);
    expect(statuses(g)).toEqual(["pass", "pass"]);
    expect(Date.now() - started).toBeLessThan(LIMITS.wallMs + 5000);
    await new Promise((done) => setTimeout(done, 300));
    expect(processesMatching(`survivor-${stamp}`)).toEqual([]);
    expect(onHost(`locked-${stamp}`)).toEqual([]);
  }, 60_000);

  it("200 KB of UTF-8 output is graded correctly", async () => {
    const line = "é中😀".repeat(25);
    const program = `import sys\nsys.stdout.write(${JSON.stringify(`${line}\n`)} * int(input()))`;
    const expected = (n: number) => `${line}\n`.repeat(n);
    expect(Buffer.byteLength(expected(900))).toBeGreaterThan(200_000);
    const g = await grade(program, [stdin("900", expected(900)), stdin("950", expected(950))]);
    expect(statuses(g)).toEqual(["pass", "pass"]);
  }, 60_000);
});

describe.skipIf(unavailable !== null || !isRoot)("the sandbox's identity as root", () => {
  it("every concurrent run has a host uid of its own, not root's", async () => {
    expect(sandboxInfo()).toMatchObject({ identity: "uid-per-run" });
    const program = `import os, sys
os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(3)', 'uid-check-${stamp}'])`;
    const grading = inProcess(program, [stdin("", ""), stdin("", "")]);
    const uidsNow = () =>
      execFileSync("ps", ["-eo", "uid,args"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes(`uid-check-${stamp}`))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    let uids = uidsNow();
    for (let i = 0; i < 100 && uids.length < 2; i++) {
      await new Promise((done) => setTimeout(done, 50));
      uids = uidsNow();
    }
    expect(statuses(await grading)).toEqual(["pass", "pass"]);
    expect(uids).toHaveLength(2);
    expect(new Set(uids).size).toBe(2);
    expect(uids.every((u) => u >= 0x7000_0000)).toBe(true);
  }, 60_000);
});
