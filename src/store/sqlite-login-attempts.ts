import type { SqlDatabase } from './sqlite-driver.js';
import type { LoginBudget } from './types.js';

/** Appended to the SQLite migrations: one row per reserved attempt, gone once it expires. */
export const LOGIN_ATTEMPTS_MIGRATION = `
  CREATE TABLE login_attempts (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, member)
  ) WITHOUT ROWID;
  CREATE INDEX login_attempts_by_key ON login_attempts(key, expires_at);
  CREATE INDEX login_attempts_by_expiry ON login_attempts(expires_at);`;

/**
 * The failed-login budgets in SQLite. A reservation is one IMMEDIATE transaction: it takes the
 * database's write lock before reading the counts, so two processes on the same file (the workers
 * of `server.workers`) cannot both see the last free slot. A refused reservation writes nothing
 * (no fsync): a flood of refused logins costs reads only.
 */
export class SqliteLoginAttempts {
  private readonly reserveTx: (member: string, budgets: readonly LoginBudget[], now: number) => number;
  private readonly settleTx: (release: readonly { key: string; member: string }[], clear: readonly string[]) => void;

  constructor(db: SqlDatabase) {
    const count = db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM login_attempts WHERE key = ? AND expires_at > ?');
    const nth = db.prepare<[string, number, number], { expires_at: number }>(
      'SELECT expires_at FROM login_attempts WHERE key = ? AND expires_at > ? ORDER BY expires_at LIMIT 1 OFFSET ?',
    );
    const prune = db.prepare<[number]>('DELETE FROM login_attempts WHERE expires_at <= ?');
    const insert = db.prepare<[string, string, number]>('INSERT OR REPLACE INTO login_attempts (key, member, expires_at) VALUES (?, ?, ?)');
    const remove = db.prepare<[string, string]>('DELETE FROM login_attempts WHERE key = ? AND member = ?');
    const clear = db.prepare<[string]>('DELETE FROM login_attempts WHERE key = ?');

    const reserve = db.transaction((member: string, budgets: readonly LoginBudget[], now: number): number => {
      let wait = 0;
      for (const b of budgets) {
        const n = count.get(b.key, now)!.n;
        // The slot frees when the (n - max + 1)th oldest live attempt expires.
        if (n >= b.max) wait = Math.max(wait, nth.get(b.key, now, n - b.max)!.expires_at - now);
      }
      if (wait > 0) return wait;
      prune.run(now);
      for (const b of budgets) insert.run(b.key, member, now + b.windowMs);
      return 0;
    });
    this.reserveTx = (member, budgets, now) => reserve.immediate(member, budgets, now);
    this.settleTx = db.transaction((release: readonly { key: string; member: string }[], keys: readonly string[]) => {
      for (const r of release) remove.run(r.key, r.member);
      for (const k of keys) clear.run(k);
    });
  }

  reserve(member: string, budgets: readonly LoginBudget[], now: number): number {
    return this.reserveTx(member, budgets, now);
  }

  settle(release: readonly { key: string; member: string }[], clear: readonly string[]): void {
    if (release.length === 0 && clear.length === 0) return;
    this.settleTx(release, clear);
  }
}
