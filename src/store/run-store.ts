/**
 * The run store: one SQLite file (WAL) holding runs, their per-item results and a cache of engine
 * calls. Every result row is written in the same transaction as its run's progress counters, so a
 * crash at any instant leaves a consistent store, and a resumed run neither loses nor repeats work.
 * Several processes may write one store (WAL + busy timeout), e.g. shards of one job; a run being
 * worked on records its owner, so two processes never work on one run (`RunBusyError`).
 */
import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { configDifferences } from "./config-diff.js";
import { contentKey } from "./content-key.js";
import { mergeStores } from "./merge-stores.js";
import { openForReading, openForWriting } from "./open-database.js";
import { claimHere, currentOwner, ownerIsAlive, releaseHere } from "./run-owner.js";
import { RUN_COLUMNS, type RunRecord, type RunRow, type RunStatus, toRecord } from "./run-record.js";
import { AmbiguousRunError, ConfigMismatchError, RunBusyError, RunNotFoundError } from "./store-errors.js";

export type { RunRecord, RunStatus } from "./run-record.js";

export {
  AmbiguousRunError,
  ConfigMismatchError,
  RunBusyError,
  RunNotFoundError,
  type RunOwner,
  RunStoreError,
} from "./store-errors.js";

export interface ResultUsage {
  promptTokens?: number;
  generatedTokens?: number;
  reusedTokens?: number;
  invalid?: number;
  elapsedMs?: number;
}

const now = () => new Date().toISOString();

export interface RunStoreOptions {
  /** Open an existing store without writing it (readers: runs list/show/export, report). */
  readonly?: boolean;
}

export class RunStore {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly cleanup: () => void;

  /**
   * Opens the store at `path` (":memory:" for none on disk), creating it when absent unless
   * `readonly`. Throws `RunStoreError` for a file that is not a store, is damaged, cannot be
   * written or created — with what to do.
   */
  constructor(path: string, options: RunStoreOptions = {}) {
    this.path = path;
    this.readonly = options.readonly ?? false;
    const opened = this.readonly ? openForReading(path) : openForWriting(path);
    this.db = opened.db;
    this.cleanup = opened.cleanup;
  }

  close(): void {
    this.db.close();
    this.cleanup();
  }

  /** A prepared statement, prepared once per store (preparing costs more than running them). */
  private readonly statements = new Map<string, Database.Statement>();
  private sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /**
   * Starts a run, or resumes one. With `resume` the named run continues — only when its command
   * and configuration are the same (`ConfigMismatchError` lists the differences; `forceResume`
   * continues anyway, and the run takes the new configuration, the old one kept in
   * `state.configHistory`). Otherwise an unfinished run of the same command and configuration
   * continues automatically (a finished one too with `reopenFinished`, for commands whose target
   * can grow), and a new run is created only when there is none. A run that another live process
   * works on is refused (`RunBusyError`); one whose owner is gone is taken over. The caller owns
   * the run until `finishRun`, and keeps it with `heartbeat`.
   */
  startRun(
    command: string,
    config: unknown,
    options: { resume?: string; forceResume?: boolean; itemsTotal?: number; reopenFinished?: boolean } = {},
  ): { run: RunRecord; resumed: boolean } {
    const configHash = contentKey({ command, config });
    // one write transaction from the look-up to the claim: two processes starting together
    // cannot both find no owner
    return this.db
      .transaction(() => {
        let existing: RunRecord | undefined;
        let differences: string[] = [];
        if (options.resume) {
          existing = this.getRun(options.resume);
          if (!existing) throw new RunNotFoundError(options.resume, this.path);
          differences = configDifferences(
            { command: existing.command, config: existing.config },
            { command, config },
          );
          if (differences.length > 0 && !options.forceResume)
            throw new ConfigMismatchError(existing.id, differences);
        } else {
          const row = this.sql(
            `SELECT ${RUN_COLUMNS} FROM runs WHERE config_hash = ?${options.reopenFinished ? "" : " AND status != 'done'"} ORDER BY created_at DESC`,
          ).get(configHash) as RunRow | undefined;
          existing = row ? toRecord(row) : undefined;
        }
        const t = new Date();
        const owner = currentOwner(t);
        if (existing) {
          if (existing.status === "running" && existing.owner) {
            const { alive, ageSeconds } = ownerIsAlive(
              existing.owner,
              { storePath: this.path, runId: existing.id },
              t,
            );
            if (alive) throw new RunBusyError(existing.id, existing.owner, ageSeconds);
          }
          if (differences.length > 0) {
            // forced into another configuration: the run now holds the new one, and remembers the old
            const history = Array.isArray(existing.state.configHistory) ? existing.state.configHistory : [];
            const state = {
              ...existing.state,
              configHistory: [
                ...history,
                {
                  command: existing.command,
                  config: existing.config,
                  replacedAt: t.toISOString(),
                  differences,
                },
              ],
            };
            this.sql(
              "UPDATE runs SET command = ?, config_json = ?, config_hash = ?, state_json = ? WHERE id = ?",
            ).run(command, JSON.stringify(config), configHash, JSON.stringify(state), existing.id);
          }
          this.sql(
            `UPDATE runs SET status = 'running', updated_at = ?, items_total = COALESCE(?, items_total),
               owner_pid = ?, owner_host = ?, heartbeat_at = ? WHERE id = ?`,
          ).run(
            t.toISOString(),
            options.itemsTotal ?? null,
            owner.pid,
            owner.host,
            owner.heartbeatAt,
            existing.id,
          );
          claimHere(this.path, existing.id);
          return { run: this.getRun(existing.id)!, resumed: true };
        }
        // time first so ids sort by creation; a random tail keeps two runs of one second apart
        const id = `${t.toISOString().replace(/[-:T]/g, "").slice(0, 14)}-${randomBytes(4).toString("hex")}`;
        this.sql(
          `INSERT INTO runs (id, command, config_json, config_hash, status, created_at, updated_at, items_total,
             owner_pid, owner_host, heartbeat_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
        ).run(
          id,
          command,
          JSON.stringify(config),
          configHash,
          t.toISOString(),
          t.toISOString(),
          options.itemsTotal ?? null,
          owner.pid,
          owner.host,
          owner.heartbeatAt,
        );
        claimHere(this.path, id);
        return { run: this.getRun(id)!, resumed: false };
      })
      .immediate();
  }

  /** Renews this process's heartbeat on a run it works on (the run loop calls it on a timer). */
  heartbeat(runId: string): void {
    const owner = currentOwner(new Date());
    this.sql(
      "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running' AND owner_pid = ? AND owner_host = ?",
    ).run(owner.heartbeatAt, runId, owner.pid, owner.host);
  }

  /** Merges `patch` into the run's remembered state (see `RunRecord.state`). */
  setRunState(runId: string, patch: Record<string, unknown>): void {
    const run = this.getRun(runId);
    if (!run) throw new Error(`no run ${runId}`);
    this.sql("UPDATE runs SET state_json = ?, updated_at = ? WHERE id = ?").run(
      JSON.stringify({ ...run.state, ...patch }),
      now(),
      run.id,
    );
  }

  /**
   * A run by id or unique id prefix; undefined when none matches. Throws `AmbiguousRunError` when
   * the prefix matches several runs (never silently the newest).
   */
  getRun(id: string): RunRecord | undefined {
    const exact = this.sql(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
    if (exact) return toRecord(exact);
    const rows = this.sql(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY created_at`,
    ).all(`${id.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as RunRow[];
    if (rows.length > 1)
      throw new AmbiguousRunError(
        id,
        rows.map((r) => r.id),
      );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  listRuns(): RunRecord[] {
    return (this.sql(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at`).all() as RunRow[]).map(toRecord);
  }

  /** Removes a run with its results and failures (its cache entries stay: they are keyed by content). */
  deleteRun(runId: string): boolean {
    return this.db.transaction(() => {
      this.sql("DELETE FROM results WHERE run_id = ?").run(runId);
      this.sql("DELETE FROM failures WHERE run_id = ?").run(runId);
      return this.sql("DELETE FROM runs WHERE id = ?").run(runId).changes > 0;
    })();
  }

  /** Empties the engine-call cache; returns how many entries were removed. */
  clearCache(): number {
    return this.sql("DELETE FROM cache").run().changes;
  }

  cacheSize(): number {
    return (this.sql("SELECT COUNT(*) AS n FROM cache").get() as { n: number }).n;
  }

  /** Item keys already stored for a run (what a resume skips). */
  doneKeys(runId: string): Set<string> {
    return new Set(
      (this.sql("SELECT item_key FROM results WHERE run_id = ?").all(runId) as { item_key: string }[]).map(
        (r) => r.item_key,
      ),
    );
  }

  storedResult(runId: string, key: string): unknown {
    const row = this.sql("SELECT value_json FROM results WHERE run_id = ? AND item_key = ?").get(
      runId,
      key,
    ) as { value_json: string } | undefined;
    return row ? JSON.parse(row.value_json) : undefined;
  }

  /**
   * Stores one item's result and advances the run's counters, in one transaction (which also
   * clears the item's failure, if an earlier attempt failed). Idempotent per key.
   */
  recordResult(runId: string, key: string, seq: number, value: unknown, usage: ResultUsage = {}): boolean {
    return this.db.transaction(() => {
      this.sql("DELETE FROM failures WHERE run_id = ? AND item_key = ?").run(runId, key);
      const inserted = this.sql(
        "INSERT OR IGNORE INTO results (run_id, item_key, seq, value_json) VALUES (?, ?, ?, ?)",
      ).run(runId, key, seq, JSON.stringify(value)).changes;
      if (inserted === 0) return false;
      this.sql(
        `UPDATE runs SET items_done = items_done + 1, prompt_tokens = prompt_tokens + ?, generated_tokens = generated_tokens + ?,
           reused_tokens = reused_tokens + ?, invalid = invalid + ?, elapsed_ms = elapsed_ms + ?, updated_at = ? WHERE id = ?`,
      ).run(
        usage.promptTokens ?? 0,
        usage.generatedTokens ?? 0,
        usage.reusedTokens ?? 0,
        usage.invalid ?? 0,
        Math.round(usage.elapsedMs ?? 0),
        now(),
        runId,
      );
      return true;
    })();
  }

  /** Records that an item failed for an engine reason (kept apart from results; a resume retries it). */
  recordFailure(runId: string, key: string, seq: number, error: { message: string; code?: string }): void {
    this.sql(
      `INSERT INTO failures (run_id, item_key, seq, error_json, attempts, updated_at) VALUES (?, ?, ?, ?, 1, ?)
         ON CONFLICT (run_id, item_key) DO UPDATE SET error_json = excluded.error_json, attempts = attempts + 1, updated_at = excluded.updated_at`,
    ).run(runId, key, seq, JSON.stringify(error), now());
  }

  /** A run's failed items, in input order. */
  failures(
    runId: string,
  ): { key: string; seq: number; error: { message: string; code?: string }; attempts: number }[] {
    return (
      this.sql(
        "SELECT item_key, seq, error_json, attempts FROM failures WHERE run_id = ? ORDER BY seq, item_key",
      ).all(runId) as { item_key: string; seq: number; error_json: string; attempts: number }[]
    ).map((r) => ({ key: r.item_key, seq: r.seq, error: JSON.parse(r.error_json), attempts: r.attempts }));
  }

  /** Ends this process's work on a run with its status (the owner stays recorded: who ran it last). */
  finishRun(runId: string, status: RunStatus, metrics?: unknown): void {
    releaseHere(this.path, runId);
    this.sql(
      "UPDATE runs SET status = ?, finished_at = ?, updated_at = ?, metrics_json = COALESCE(?, metrics_json) WHERE id = ?",
    ).run(status, now(), now(), metrics === undefined ? null : JSON.stringify(metrics), runId);
  }

  /** A run's results in the order they were first produced. */
  results(runId: string): { key: string; seq: number; value: unknown }[] {
    return (
      this.sql("SELECT item_key, seq, value_json FROM results WHERE run_id = ? ORDER BY seq, item_key").all(
        runId,
      ) as {
        item_key: string;
        seq: number;
        value_json: string;
      }[]
    ).map((r) => ({ key: r.item_key, seq: r.seq, value: JSON.parse(r.value_json) }));
  }

  cacheGet(key: string): unknown {
    const row = this.sql("SELECT value_json FROM cache WHERE key = ?").get(key) as
      | { value_json: string }
      | undefined;
    return row ? JSON.parse(row.value_json) : undefined;
  }

  cacheSet(key: string, value: unknown): void {
    this.sql("INSERT OR REPLACE INTO cache (key, value_json, created_at) VALUES (?, ?, ?)").run(
      key,
      JSON.stringify(value),
      now(),
    );
  }

  /** Copies every run, result and cache entry of other store files into this one (shards → one store). */
  merge(paths: string[]): { runs: number; results: number; cache: number } {
    return mergeStores(this.db, paths);
  }
}
