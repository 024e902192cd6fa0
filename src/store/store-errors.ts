/**
 * The run store's typed failures. Each message says what happened and what to do, so a shell
 * prints it as it is (no stack trace).
 */

/** A run id prefix that matches several runs. */
export class AmbiguousRunError extends Error {
  constructor(prefix: string, ids: string[]) {
    super(`run id "${prefix}" matches ${ids.length} runs: ${ids.join(", ")}; give more of the id`);
    this.name = "AmbiguousRunError";
  }
}

/** `--resume <id>` (or another lookup by id) that names no run of the store. */
export class RunNotFoundError extends Error {
  constructor(
    readonly runId: string,
    storePath: string,
  ) {
    super(
      `no run ${runId} in ${storePath}; see thinkprm runs list (or run without --resume to start a new run)`,
    );
    this.name = "RunNotFoundError";
  }
}

/** A resume whose configuration differs from the run's. */
export class ConfigMismatchError extends Error {
  constructor(
    readonly runId: string,
    readonly differences: string[],
  ) {
    super(
      `run ${runId} was started with another configuration; it differs in ${differences.join(", ")}. Run without --resume for a new run, or add --force-resume to continue it anyway`,
    );
    this.name = "ConfigMismatchError";
  }
}

/** Who is working on a run: a process on a host, alive as of its last heartbeat. */
export interface RunOwner {
  pid: number;
  host: string;
  heartbeatAt: string;
}

/** The run is being worked on by another live process: joining it would do every item twice. */
export class RunBusyError extends Error {
  constructor(
    readonly runId: string,
    readonly owner: RunOwner,
    ageSeconds: number,
  ) {
    super(
      `run ${runId} is being worked on by process ${owner.pid} on ${owner.host} (last heartbeat ${Math.max(0, Math.round(ageSeconds))} s ago); a second process on the same run would do every item again. Wait for it to finish (or stop it: a rerun resumes), or split a job between processes with --shard i/n in each (e.g. --shard 0/2 and --shard 1/2)`,
    );
    this.name = "RunBusyError";
  }
}

/**
 * Why a store file cannot be used: `not_a_store` (garbage, another program's database),
 * `damaged` (a truncated or corrupt SQLite file), `read_only` (a write into a store that cannot be
 * written), `cannot_create` (no permission to create it or its folder).
 */
export type RunStoreErrorCode = "not_a_store" | "damaged" | "read_only" | "cannot_create";

export class RunStoreError extends Error {
  constructor(
    readonly code: RunStoreErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "RunStoreError";
  }
}

const AWAY = "move it away (a new store is made in its place) or pass --store <another file>";

/**
 * The `RunStoreError` for a failure of SQLite or of the file system on a store, or undefined when
 * it is none of the known kinds (a bug to report as it is).
 */
export function storeErrorFor(error: unknown, path: string, shownAs = path): RunStoreError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const detail = (error as Error).message;
  if (code === "SQLITE_NOTADB")
    return new RunStoreError(
      "not_a_store",
      path,
      `${shownAs} is not a thinkprm run store (SQLite says: ${detail}); ${AWAY}`,
    );
  if (code.startsWith("SQLITE_CORRUPT"))
    return new RunStoreError(
      "damaged",
      path,
      `the run store ${shownAs} is damaged (SQLite says: ${detail}); ${AWAY}`,
    );
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS")
    return new RunStoreError(
      "read_only",
      path,
      `the run store ${shownAs} is read-only (${detail}); this command writes to it: make the file and its folder writable, or pass --store <another file> (or --no-store)`,
    );
  if (code === "EACCES" || code === "EPERM" || code === "SQLITE_CANTOPEN")
    return new RunStoreError(
      "cannot_create",
      path,
      `cannot open or create the run store ${shownAs} (${detail}): run from a folder you can write, or pass --store <a writable file> (or --no-store)`,
    );
  return undefined;
}
