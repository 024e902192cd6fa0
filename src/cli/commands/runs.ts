import { existsSync, rmSync } from "node:fs";
import { AmbiguousRunError, RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { csvCell, safeText } from "../safe-text.js";

/** An existing store; read-only for the commands that only read (so they work on a store they cannot write). */
function openStore(io: CliIo, path: string, access: { readonly: boolean }): RunStore {
  const full = resolvePath(io, path);
  if (!existsSync(full))
    throw new CliError(`no run store at ${path}; run a command first, or pass --store <file>`);
  return new RunStore(full, access);
}

/** A run by id or unique prefix, or a CliError (none, or several: listed). */
export function findRun(store: RunStore, id: string, storePath: string) {
  let run: ReturnType<RunStore["getRun"]>;
  try {
    run = store.getRun(id);
  } catch (error) {
    if (error instanceof AmbiguousRunError) throw new CliError(error.message);
    throw error;
  }
  if (!run) throw new CliError(`no run ${id} in ${storePath}; see thinkprm runs list`);
  return run;
}

export async function runRunsDelete(io: CliIo, ids: string[], opts: { store: string }): Promise<void> {
  const store = openStore(io, opts.store, { readonly: false });
  try {
    for (const id of ids) {
      const run = findRun(store, id, opts.store);
      store.deleteRun(run.id);
      io.stdout.write(`deleted run ${run.id} (${run.command}, ${run.itemsDone} results)\n`);
    }
  } finally {
    store.close();
  }
}

export async function runCacheClear(io: CliIo, opts: { store: string }): Promise<void> {
  const store = openStore(io, opts.store, { readonly: false });
  try {
    io.stdout.write(`removed ${store.clearCache()} cached engine calls from ${opts.store}\n`);
  } finally {
    store.close();
  }
}

export async function runRunsList(io: CliIo, opts: { store: string; json?: boolean }): Promise<void> {
  const store = openStore(io, opts.store, { readonly: true });
  try {
    const runs = store.listRuns();
    if (opts.json) {
      for (const r of runs) writeJsonLine(io, r);
      return;
    }
    if (runs.length === 0) {
      io.stdout.write("no runs\n");
      return;
    }
    io.stdout.write(
      "id                       command            status      items        failed  tokens (gen)  invalid  created\n",
    );
    for (const r of runs) {
      const items = `${r.itemsDone}/${r.itemsTotal ?? "?"}`;
      io.stdout.write(
        `${safeText(r.id).padEnd(24)} ${safeText(r.command).padEnd(18)} ${safeText(r.status).padEnd(11)} ${items.padEnd(12)} ${String(r.itemsFailed).padEnd(7)} ${String(r.generatedTokens).padEnd(13)} ${String(r.invalid).padEnd(8)} ${r.createdAt}\n`,
      );
    }
  } finally {
    store.close();
  }
}

export async function runRunsShow(io: CliIo, id: string, opts: { store: string }): Promise<void> {
  const store = openStore(io, opts.store, { readonly: true });
  try {
    const run = findRun(store, id, opts.store);
    const failures = store.failures(run.id);
    io.stdout.write(`${JSON.stringify({ ...run, ...(failures.length ? { failures } : {}) }, null, 2)}\n`);
  } finally {
    store.close();
  }
}

const CSV_COLUMNS = [
  "key",
  "id",
  "score",
  "decision",
  "firstIncorrectStep",
  "stepCount",
  "validChains",
  "invalidChains",
  "promptTokens",
  "generatedTokens",
];

export async function runRunsExport(
  io: CliIo,
  id: string,
  opts: { store: string; format: "jsonl" | "csv" },
): Promise<void> {
  const store = openStore(io, opts.store, { readonly: true });
  try {
    const run = findRun(store, id, opts.store);
    const rows = store.results(run.id);
    if (opts.format === "jsonl") {
      for (const r of rows) writeJsonLine(io, { key: r.key, ...(r.value as object) });
      return;
    }
    io.stdout.write(`${CSV_COLUMNS.join(",")}\n`);
    for (const r of rows) {
      const v = r.value as Record<string, unknown> & { usage?: Record<string, number> };
      const cells = [
        r.key,
        v.id,
        v.score,
        v.decision,
        v.firstIncorrectStep,
        v.stepCount,
        v.validChains,
        v.invalidChains,
        v.usage?.promptTokens,
        v.usage?.generatedTokens,
      ];
      io.stdout.write(`${cells.map(csvCell).join(",")}\n`);
    }
  } finally {
    store.close();
  }
}

export async function runRunsMerge(io: CliIo, sources: string[], opts: { into: string }): Promise<void> {
  // every source is checked to be a store before the target is touched
  for (const s of sources) openStore(io, s, { readonly: true }).close();
  const into = resolvePath(io, opts.into);
  const created = !existsSync(into);
  let store: RunStore | undefined;
  try {
    store = new RunStore(into);
    const t = store.merge(sources.map((s) => resolvePath(io, s)));
    io.stdout.write(
      `merged into ${opts.into}: ${t.runs} runs, ${t.results} results, ${t.cache} cached calls\n`,
    );
  } catch (error) {
    // a store this failed merge created is not left behind (nor its WAL files)
    store?.close();
    store = undefined;
    if (created) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${into}${suffix}`, { force: true });
    throw error;
  } finally {
    store?.close();
  }
}
