/** `thinkprm report [runs…] -o report.html [--png dir]`: a self-contained HTML page of stored runs. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildReport } from "../../report/build-report.js";
import { renderPng } from "../../report/chart-render.js";
import { type RunRecord, RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath } from "../io.js";

export interface ReportOptions {
  store: string;
  out: string;
  png?: string;
}

/** The run an id or a unique id prefix names; an ambiguous prefix is an error, not a guess. */
function findRun(all: RunRecord[], id: string, store: string): RunRecord {
  const exact = all.find((r) => r.id === id);
  if (exact) return exact;
  const matches = all.filter((r) => r.id.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`no run ${id} in ${store}; see thinkprm runs list`);
  throw new CliError(
    `run prefix ${id} matches ${matches.length} runs in ${store} (${matches
      .slice(0, 5)
      .map((r) => r.id)
      .join(", ")}${matches.length > 5 ? ", …" : ""}); give more of the id`,
  );
}

/** Writes an output (its folder created), or says which path could not be written and why. */
function writeOut(shownAs: string, flag: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw error;
    throw new CliError(
      `cannot write ${shownAs} (${code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "a read-only file system" : (error as Error).message}): pick another place with ${flag}`,
    );
  }
}

export async function runReport(io: CliIo, ids: string[], opts: ReportOptions): Promise<void> {
  const path = resolvePath(io, opts.store);
  if (!existsSync(path))
    throw new CliError(`no run store at ${opts.store}; run a command first, or pass --store <file>`);
  const store = new RunStore(path, { readonly: true });
  try {
    const all = store.listRuns();
    if (all.length === 0) throw new CliError(`${opts.store} holds no runs yet`);
    const found = ids.length === 0 ? [all.at(-1)!] : ids.map((id) => findRun(all, id, opts.store));
    // the same run named twice (an id and its prefix) is one column, not two
    const runs = found.filter((r, i) => found.findIndex((x) => x.id === r.id) === i);
    const report = await buildReport(store, runs);
    const out = resolvePath(io, opts.out);
    writeOut(opts.out, "-o", () => {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, report.html);
    });
    io.stdout.write(
      `wrote ${opts.out} (${runs.length} run${runs.length > 1 ? "s" : ""}, ${report.charts.length} plots)\n`,
    );
    if (opts.png) {
      const dir = resolvePath(io, opts.png);
      const pngs = await Promise.all(report.charts.map(async (c) => [c.id, await renderPng(c.svg)] as const));
      writeOut(opts.png, "--png", () => {
        mkdirSync(dir, { recursive: true });
        for (const [id, png] of pngs) writeFileSync(join(dir, `${id}.png`), png);
      });
      io.stdout.write(`wrote ${report.charts.length} PNG files to ${opts.png}\n`);
    }
  } finally {
    store.close();
  }
}
