/**
 * The run store: one SQLite file (WAL) holding runs, their per-item results and a cache of engine
 * calls. Every result row is written in the same transaction as its run's progress counters, so a
 * crash at any instant leaves a consistent store, and a resumed run neither loses nor repeats work.
 * Several processes may write one store (WAL + busy timeout), e.g. shards of one job.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { contentKey } from "./content-key.js";

export type RunStatus = "running" | "done" | "failed";

export interface RunRecord {
  id: string;
  command: string;
  config: unknown;
  configHash: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  itemsDone: number;
  itemsTotal: number | null;
  promptTokens: number;
  generatedTokens: number;
  reusedTokens: number;
  invalid: number;
  elapsedMs: number;
  metrics: unknown;
}

export interface ResultUsage {
  promptTokens?: number;
  generatedTokens?: number;
  reusedTokens?: number;
  invalid?: number;
  elapsedMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  command TEXT NOT NULL,
  config_json TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT,
  items_done INTEGER NOT NULL DEFAULT 0,
  items_total INTEGER,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  generated_tokens INTEGER NOT NULL DEFAULT 0,
  reused_tokens INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  elapsed_ms INTEGER NOT NULL DEFAULT 0,
  metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_config ON runs (config_hash, status);
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs (id),
  item_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, item_key)
);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

interface RunRow {
  id: string;
  command: string;
  config_json: string;
  config_hash: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  items_done: number;
  items_total: number | null;
  prompt_tokens: number;
  generated_tokens: number;
  reused_tokens: number;
  invalid: number;
  elapsed_ms: number;
  metrics_json: string | null;
}

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  command: r.command,
  config: JSON.parse(r.config_json),
  configHash: r.config_hash,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
  itemsDone: r.items_done,
  itemsTotal: r.items_total,
  promptTokens: r.prompt_tokens,
  generatedTokens: r.generated_tokens,
  reusedTokens: r.reused_tokens,
  invalid: r.invalid,
  elapsedMs: r.elapsed_ms,
  metrics: r.metrics_json === null ? null : JSON.parse(r.metrics_json),
});

const now = () => new Date().toISOString();

export class RunStore {
  readonly path: string;
  private readonly db: Database.Database;

  constructor(path: string) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Starts a run, or resumes one. With `resume` the named run continues (it must exist); otherwise
   * an unfinished run of the same command and configuration continues automatically (a finished
   * one too with `reopenFinished`, for commands whose target can grow), and a new run is created
   * only when there is none.
   */
  startRun(
    command: string,
    config: unknown,
    options: { resume?: string; itemsTotal?: number; reopenFinished?: boolean } = {},
  ): { run: RunRecord; resumed: boolean } {
    const configHash = contentKey({ command, config });
    const existing = options.resume
      ? (this.db
          .prepare("SELECT * FROM runs WHERE id = ? OR id LIKE ? ORDER BY created_at DESC")
          .get(options.resume, `${options.resume}%`) as RunRow | undefined)
      : (this.db
          .prepare(
            `SELECT * FROM runs WHERE config_hash = ?${options.reopenFinished ? "" : " AND status != 'done'"} ORDER BY created_at DESC`,
          )
          .get(configHash) as RunRow | undefined);
    if (options.resume && !existing)
      throw new Error(`no run ${options.resume} in ${this.path}; see thinkprm runs list`);
    if (existing) {
      this.db
        .prepare(
          "UPDATE runs SET status = 'running', updated_at = ?, items_total = COALESCE(?, items_total) WHERE id = ?",
        )
        .run(now(), options.itemsTotal ?? null, existing.id);
      return { run: this.getRun(existing.id)!, resumed: true };
    }
    // time first so ids sort by creation; a random tail keeps two runs of one second apart
    const id = `${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}-${randomBytes(4).toString("hex")}`;
    const t = now();
    this.db
      .prepare(
        "INSERT INTO runs (id, command, config_json, config_hash, status, created_at, updated_at, items_total) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)",
      )
      .run(id, command, JSON.stringify(config), configHash, t, t, options.itemsTotal ?? null);
    return { run: this.getRun(id)!, resumed: false };
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM runs WHERE id = ? OR id LIKE ? ORDER BY created_at DESC")
      .get(id, `${id}%`) as RunRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  listRuns(): RunRecord[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY created_at").all() as RunRow[]).map(toRecord);
  }

  /** Item keys already stored for a run (what a resume skips). */
  doneKeys(runId: string): Set<string> {
    return new Set(
      (
        this.db.prepare("SELECT item_key FROM results WHERE run_id = ?").all(runId) as { item_key: string }[]
      ).map((r) => r.item_key),
    );
  }

  storedResult(runId: string, key: string): unknown {
    const row = this.db
      .prepare("SELECT value_json FROM results WHERE run_id = ? AND item_key = ?")
      .get(runId, key) as { value_json: string } | undefined;
    return row ? JSON.parse(row.value_json) : undefined;
  }

  /** Stores one item's result and advances the run's counters, in one transaction. Idempotent per key. */
  recordResult(runId: string, key: string, seq: number, value: unknown, usage: ResultUsage = {}): boolean {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare("INSERT OR IGNORE INTO results (run_id, item_key, seq, value_json) VALUES (?, ?, ?, ?)")
        .run(runId, key, seq, JSON.stringify(value)).changes;
      if (inserted === 0) return false;
      this.db
        .prepare(
          `UPDATE runs SET items_done = items_done + 1, prompt_tokens = prompt_tokens + ?, generated_tokens = generated_tokens + ?,
           reused_tokens = reused_tokens + ?, invalid = invalid + ?, elapsed_ms = elapsed_ms + ?, updated_at = ? WHERE id = ?`,
        )
        .run(
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

  finishRun(runId: string, status: RunStatus, metrics?: unknown): void {
    this.db
      .prepare(
        "UPDATE runs SET status = ?, finished_at = ?, updated_at = ?, metrics_json = COALESCE(?, metrics_json) WHERE id = ?",
      )
      .run(status, now(), now(), metrics === undefined ? null : JSON.stringify(metrics), runId);
  }

  /** A run's results in the order they were first produced. */
  results(runId: string): { key: string; seq: number; value: unknown }[] {
    return (
      this.db
        .prepare("SELECT item_key, seq, value_json FROM results WHERE run_id = ? ORDER BY seq, item_key")
        .all(runId) as {
        item_key: string;
        seq: number;
        value_json: string;
      }[]
    ).map((r) => ({ key: r.item_key, seq: r.seq, value: JSON.parse(r.value_json) }));
  }

  cacheGet(key: string): unknown {
    const row = this.db.prepare("SELECT value_json FROM cache WHERE key = ?").get(key) as
      | { value_json: string }
      | undefined;
    return row ? JSON.parse(row.value_json) : undefined;
  }

  cacheSet(key: string, value: unknown): void {
    this.db
      .prepare("INSERT OR REPLACE INTO cache (key, value_json, created_at) VALUES (?, ?, ?)")
      .run(key, JSON.stringify(value), now());
  }

  /** Copies every run, result and cache entry of other store files into this one (shards → one store). */
  merge(paths: string[]): { runs: number; results: number; cache: number } {
    const totals = { runs: 0, results: 0, cache: 0 };
    for (const [i, path] of paths.entries()) {
      const alias = `src${i}`;
      this.db.prepare(`ATTACH DATABASE ? AS ${alias}`).run(path);
      try {
        this.db.transaction(() => {
          totals.runs += this.db
            .prepare(`INSERT OR IGNORE INTO runs SELECT * FROM ${alias}.runs`)
            .run().changes;
          totals.results += this.db
            .prepare(`INSERT OR IGNORE INTO results SELECT * FROM ${alias}.results`)
            .run().changes;
          totals.cache += this.db
            .prepare(`INSERT OR IGNORE INTO cache SELECT * FROM ${alias}.cache`)
            .run().changes;
        })();
      } finally {
        this.db.prepare(`DETACH DATABASE ${alias}`).run();
      }
    }
    return totals;
  }
}
