import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { type Due, meets, parseFields, type Store } from './index.ts';

/** How often expired entries are deleted from the file. */
const SWEEP_MS = 60_000;

/**
 * Opens (creating it if needed) the app's SQLite file through Node's built-in `node:sqlite`: no native module to
 * build. Write-ahead logging with `synchronous = NORMAL`: a commit is in the log file before it returns, so a killed
 * process (kill -9, out of memory) loses nothing; a host that loses power may lose the last commits, as Redis' own
 * default (`appendfsync everysec`) may. `busy_timeout` lets a second process (`npm run doctor`) wait its turn.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  return db;
}

/** Runs `work` in one write transaction, so that a check and the write it allows are one step. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * The embedded store: one SQLite file (DATA_DIR/transcriber.db by default), which one instance of the app keeps
 * across crashes and restarts. Entries of every kind live in `entries` (a record as one JSON object of its fields'
 * stored forms); schedules in `schedules`. Node's SQLite calls are synchronous, and each operation is one statement
 * or one transaction, so no other caller sees it half done.
 */
export async function sqliteStore(options: { path: string; db?: DatabaseSync }): Promise<Store> {
  const db = options.db ?? openDatabase(options.path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS entries (
      key TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      value TEXT NOT NULL,
      expires INTEGER
    ) STRICT;
    CREATE TABLE IF NOT EXISTS schedules (
      key TEXT NOT NULL,
      member TEXT NOT NULL,
      due INTEGER NOT NULL,
      PRIMARY KEY (key, member)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS schedules_due ON schedules (key, due);
  `);
  const q = (sql: string): StatementSync => db.prepare(sql);
  const LIVE = '(expires IS NULL OR expires > ?)';
  const read = q(`SELECT kind, value, expires FROM entries WHERE key = ? AND ${LIVE}`);
  const write = q(
    'INSERT INTO entries (key, kind, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, value = excluded.value, expires = excluded.expires',
  );
  const remove = q('DELETE FROM entries WHERE key = ?');
  const sweep = q('DELETE FROM entries WHERE expires IS NOT NULL AND expires <= ?');
  const withPrefix = q(`SELECT key FROM entries WHERE key >= ? AND key < ? AND ${LIVE}`);
  const scheduleGet = q('SELECT due FROM schedules WHERE key = ? AND member = ?');
  const schedulePut = q(
    'INSERT INTO schedules (key, member, due) VALUES (?, ?, ?) ON CONFLICT (key, member) DO UPDATE SET due = excluded.due',
  );
  const scheduleDue = q('SELECT member FROM schedules WHERE key = ? AND due <= ? ORDER BY due LIMIT ?');
  const scheduleDel = q('DELETE FROM schedules WHERE key = ? AND member = ?');

  type Row = { kind: string; value: string; expires: number | null };
  const entry = (key: string, kind: string): Row | undefined => {
    const row = read.get(key, Date.now()) as Row | undefined;
    return row?.kind === kind ? row : undefined;
  };
  const until = (ttlMs: number | undefined) => (ttlMs === undefined ? null : Date.now() + ttlMs);
  const fieldsOf = (row: Row | undefined) =>
    new Map<string, string>(row ? Object.entries(JSON.parse(row.value) as Record<string, string>) : []);
  const putFields = (key: string, fields: Map<string, string>, expires: number | null) => {
    if (fields.size === 0) remove.run(key);
    else write.run(key, 'record', JSON.stringify(Object.fromEntries(fields)), expires);
  };
  const token = (key: string) => entry(key, 'token')?.value;

  const timer = setInterval(() => sweep.run(Date.now()), SWEEP_MS);
  timer.unref();

  return {
    kind: 'sqlite',
    get: async <T>(key: string) => {
      const row = entry(key, 'value');
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    set: async (key, value, ttlMs) => void write.run(key, 'value', JSON.stringify(value), until(ttlMs)),
    delete: async (...keys) => {
      if (keys.length === 0) return;
      inTransaction(db, () => {
        for (const key of keys) remove.run(key);
      });
    },

    claim: async (key, value, ttlMs) =>
      inTransaction(db, () => {
        if (read.get(key, Date.now())) return false;
        write.run(key, 'token', value, until(ttlMs));
        return true;
      }),
    peek: async (key) => token(key),
    swap: async (key, expected, value, ttlMs) =>
      inTransaction(db, () => {
        if (token(key) !== expected) return false;
        write.run(key, 'token', value, until(ttlMs));
        return true;
      }),
    release: async (key, expected) =>
      inTransaction(db, () => {
        if (token(key) !== expected) return false;
        remove.run(key);
        return true;
      }),
    extend: async (key, expected, ttlMs) =>
      inTransaction(db, () => {
        if (token(key) !== expected) return false;
        write.run(key, 'token', expected, until(ttlMs));
        return true;
      }),

    record: async <T extends object>(key: string) => {
      const row = entry(key, 'record');
      return row ? parseFields<T>(fieldsOf(row)) : undefined;
    },
    update: async (key, patch, opts = {}) =>
      inTransaction(db, () => {
        const row = entry(key, 'record');
        const fields = fieldsOf(row);
        if (!meets(row ? fields : undefined, opts.when)) return false;
        for (const [field, value] of Object.entries(patch)) {
          if (value === undefined) continue;
          if (value === null) fields.delete(field);
          else fields.set(field, JSON.stringify(value));
        }
        putFields(key, fields, opts.ttlMs !== undefined ? until(opts.ttlMs) : (row?.expires ?? null));
        return true;
      }),
    addField: async (key, field, value, ttlMs) =>
      inTransaction(db, () => {
        const fields = fieldsOf(entry(key, 'record'));
        const added = !fields.has(field);
        if (added) fields.set(field, JSON.stringify(value));
        putFields(key, fields, until(ttlMs));
        return { added, size: fields.size };
      }),

    increment: async (key, n, ttlMs) =>
      inTransaction(db, () => {
        const row = entry(key, 'counter');
        const next = (row ? Number(row.value) : 0) + n;
        write.run(key, 'counter', String(next), ttlMs !== undefined ? until(ttlMs) : (row?.expires ?? null));
        return next;
      }),

    schedule: async (key, member, at, opts = {}) =>
      inTransaction(db, () => {
        const current = (scheduleGet.get(key, member) as { due: number } | undefined)?.due;
        if (opts.earlier && current !== undefined && current <= at) return;
        schedulePut.run(key, member, at);
      }),
    takeDue: async (key, now, limit, leaseMs) =>
      inTransaction(db, () => {
        const lease = now + leaseMs;
        const members = (scheduleDue.all(key, now, limit) as { member: string }[]).map((r) => r.member);
        for (const member of members) schedulePut.run(key, member, lease);
        return members.map((member): Due => ({ member, lease }));
      }),
    unschedule: async (key, member, lease) =>
      inTransaction(db, () => {
        const current = (scheduleGet.get(key, member) as { due: number } | undefined)?.due;
        if (lease === undefined || current === lease) scheduleDel.run(key, member);
      }),
    dueAt: async (key, member) => (scheduleGet.get(key, member) as { due: number } | undefined)?.due,

    keysWith: async (prefix) =>
      (withPrefix.all(prefix, `${prefix}\u{10FFFF}`, Date.now()) as { key: string }[]).map((r) => r.key),
    ping: async () => void db.prepare('SELECT 1').get(),
    close: async () => {
      clearInterval(timer);
      if (!options.db && db.isOpen) db.close();
    },
  };
}
