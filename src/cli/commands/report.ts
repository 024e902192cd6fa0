import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildReport } from "../../report/build-report.js";
import { renderPng } from "../../report/charts.js";
import { RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath } from "../io.js";

export interface ReportOptions {
  store: string;
  out: string;
  png?: string;
}

export async function runReport(io: CliIo, ids: string[], opts: ReportOptions): Promise<void> {
  const path = resolvePath(io, opts.store);
  if (!existsSync(path))
    throw new CliError(`no run store at ${opts.store}; run a command first, or pass --store <file>`);
  const store = new RunStore(path);
  try {
    const all = store.listRuns();
    if (all.length === 0) throw new CliError(`${opts.store} holds no runs yet`);
    const runs = ids.length === 0 ? [all.at(-1)!] : ids.map((id) => store.getRun(id) ?? fail(id, opts.store));
    const report = await buildReport(store, runs);
    writeFileSync(resolvePath(io, opts.out), report.html);
    io.stdout.write(
      `wrote ${opts.out} (${runs.length} run${runs.length > 1 ? "s" : ""}, ${report.charts.length} plots)\n`,
    );
    if (opts.png) {
      const dir = resolvePath(io, opts.png);
      mkdirSync(dir, { recursive: true });
      for (const c of report.charts) writeFileSync(join(dir, `${c.id}.png`), await renderPng(c.svg));
      io.stdout.write(`wrote ${report.charts.length} PNG files to ${opts.png}\n`);
    }
  } finally {
    store.close();
  }
}

function fail(id: string, store: string): never {
  throw new CliError(`no run ${id} in ${store}; see thinkprm runs list`);
}
