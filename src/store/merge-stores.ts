/** Merging store files (e.g. shards written apart) into one. */
import type Database from "better-sqlite3";

/**
 * Copies every run, result, failure and cache entry of the stores at `paths` into `db`, one
 * transaction per source; rows already there stay (INSERT OR IGNORE). A failure is copied only
 * when no store holds a result for that item.
 */
export function mergeStores(
  db: Database.Database,
  paths: string[],
): { runs: number; results: number; cache: number } {
  const totals = { runs: 0, results: 0, cache: 0 };
  for (const [i, path] of paths.entries()) {
    const alias = `src${i}`;
    db.prepare(`ATTACH DATABASE ? AS ${alias}`).run(path);
    try {
      db.transaction(() => {
        // a store written by an older version may lack later columns: copy the ones both have
        const mine = new Set(
          (db.prepare("PRAGMA main.table_info(runs)").all() as { name: string }[]).map((c) => c.name),
        );
        const shared = (db.prepare(`PRAGMA ${alias}.table_info(runs)`).all() as { name: string }[])
          .map((c) => c.name)
          .filter((c) => mine.has(c))
          .join(", ");
        totals.runs += db
          .prepare(`INSERT OR IGNORE INTO runs (${shared}) SELECT ${shared} FROM ${alias}.runs`)
          .run().changes;
        totals.results += db
          .prepare(`INSERT OR IGNORE INTO results SELECT * FROM ${alias}.results`)
          .run().changes;
        const hasFailures = db
          .prepare(`SELECT name FROM ${alias}.sqlite_master WHERE type = 'table' AND name = 'failures'`)
          .get();
        if (hasFailures)
          db.prepare(
            `INSERT OR IGNORE INTO failures SELECT * FROM ${alias}.failures f WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.run_id = f.run_id AND r.item_key = f.item_key)`,
          ).run();
        totals.cache += db.prepare(`INSERT OR IGNORE INTO cache SELECT * FROM ${alias}.cache`).run().changes;
      })();
    } finally {
      db.prepare(`DETACH DATABASE ${alias}`).run();
    }
  }
  return totals;
}
