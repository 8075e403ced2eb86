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
 * across crashes and restarts. Every key has its row in `entries` (its kind and expiry); a record's fields are rows of
 * `fields` (so that adding one of 10,000 segments writes one row), schedules rows of `schedules`. Node's SQLite calls are synchronous, and each operation is one statement
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
    CREATE TABLE IF NOT EXISTS fields (
      key TEXT NOT NULL,
      field TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (key, field)
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
  const removeEntry = q('DELETE FROM entries WHERE key = ?');
  const removeFields = q('DELETE FROM fields WHERE key = ?');
  const remove = {
    run: (key: string) => {
      removeFields.run(key);
      removeEntry.run(key);
    },
  };
  const sweepFields = q(
    'DELETE FROM fields WHERE key IN (SELECT key FROM entries WHERE expires IS NOT NULL AND expires <= ?)',
  );
  const sweepEntries = q('DELETE FROM entries WHERE expires IS NOT NULL AND expires <= ?');
  const fieldGet = q('SELECT value FROM fields WHERE key = ? AND field = ?');
  const fieldAll = q('SELECT field, value FROM fields WHERE key = ?');
  const fieldPut = q(
    'INSERT INTO fields (key, field, value) VALUES (?, ?, ?) ON CONFLICT (key, field) DO UPDATE SET value = excluded.value',
  );
  const fieldAdd = q('INSERT INTO fields (key, field, value) VALUES (?, ?, ?) ON CONFLICT (key, field) DO NOTHING');
  const fieldDel = q('DELETE FROM fields WHERE key = ? AND field = ?');
  const fieldCount = q('SELECT COUNT(*) AS n FROM fields WHERE key = ?');
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
  /** The record's row, after clearing the fields of one that expired or held another kind. */
  const liveRecord = (key: string): Row | undefined => {
    const row = entry(key, 'record');
    if (!row) removeFields.run(key);
    return row;
  };
  const count = (key: string) => (fieldCount.get(key) as { n: number }).n;
  /** After its fields changed: the record's row with its expiry, or none when it has no field left. */
  const settle = (key: string, expires: number | null) => {
    if (count(key) === 0) removeEntry.run(key);
    else write.run(key, 'record', '', expires);
  };
  const token = (key: string) => entry(key, 'token')?.value;

  const timer = setInterval(() => {
    const now = Date.now();
    inTransaction(db, () => {
      sweepFields.run(now);
      sweepEntries.run(now);
    });
  }, SWEEP_MS);
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
      if (!entry(key, 'record')) return undefined;
      const rows = fieldAll.all(key) as { field: string; value: string }[];
      return rows.length > 0 ? parseFields<T>(new Map(rows.map((r) => [r.field, r.value]))) : undefined;
    },
    update: async (key, patch, opts = {}) =>
      inTransaction(db, () => {
        const row = liveRecord(key);
        if (opts.when) {
          const named = new Map<string, string>();
          for (const field of Object.keys(opts.when)) {
            const found = fieldGet.get(key, field) as { value: string } | undefined;
            if (found) named.set(field, found.value);
          }
          if (!meets(named, opts.when)) return false;
        }
        for (const [field, value] of Object.entries(patch)) {
          if (value === undefined) continue;
          if (value === null) fieldDel.run(key, field);
          else fieldPut.run(key, field, JSON.stringify(value));
        }
        settle(key, opts.ttlMs !== undefined ? until(opts.ttlMs) : (row?.expires ?? null));
        return true;
      }),
    addField: async (key, field, value, ttlMs) =>
      inTransaction(db, () => {
        liveRecord(key);
        const added = Number(fieldAdd.run(key, field, JSON.stringify(value)).changes) === 1;
        settle(key, until(ttlMs));
        return { added, size: count(key) };
      }),

    incrementFields: async (key, increments, ttlMs) =>
      inTransaction(db, () => {
        const row = liveRecord(key);
        const after: Record<string, number> = {};
        for (const [field, n] of Object.entries(increments)) {
          const found = fieldGet.get(key, field) as { value: string } | undefined;
          const next = Number(JSON.parse(found?.value ?? '0')) + Math.trunc(n);
          fieldPut.run(key, field, JSON.stringify(next));
          after[field] = next;
        }
        settle(key, ttlMs !== undefined ? until(ttlMs) : (row?.expires ?? null));
        return after;
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
        const due = Math.round(at);
        if (opts.earlier && current !== undefined && current <= due) return;
        schedulePut.run(key, member, due);
      }),
    takeDue: async (key, now, limit, leaseMs) =>
      inTransaction(db, () => {
        const lease = Math.round(now + leaseMs);
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
