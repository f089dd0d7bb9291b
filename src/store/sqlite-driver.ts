import { createRequire } from 'node:module';

/**
 * The part of a synchronous SQLite driver the store uses, so it runs on either of two:
 *
 * - Node's own `node:sqlite` (DatabaseSync), from Node 22.15 / 23.11 (unflagged, with
 *   `setAllowUnknownNamedParameters`): no native addon to build, and the driver on Node 24;
 * - better-sqlite3 on older Node (20). On Node 24 its addon built against 24.19+ headers aborts the
 *   process when the GC finalizes a statement (`Assertion failed: (env) != nullptr` in
 *   node::RemoveEnvironmentCleanupHook, nodejs/node#65446), and better-sqlite3 13, which avoids that,
 *   no longer runs on Node 20: so each Node gets the driver that works on it.
 *
 * `HLGW_SQLITE_DRIVER=better-sqlite3|node:sqlite` forces one (tests of both on one Node).
 */
interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): { changes: number };
}

export type SqlQuery<P extends unknown[] = unknown[], R = unknown> = Pick<SqlStatement<P, R>, 'get' | 'all'>;

/** A function run in one transaction (nested calls use savepoints); `immediate` takes the write lock first. */
interface SqlTransaction<A extends unknown[], T> {
  (...args: A): T;
  immediate(...args: A): T;
}

export interface SqlDatabase {
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R>;
  /**
   * A SELECT whose rows are arrays of their values in the SELECT's order: the driver sets no
   * property name per column per row, about 1.5 µs less for a row of 17 columns
   * (`node bench/micro/sqlite-token-read.mjs`).
   */
  prepareArrays<P extends unknown[] = unknown[], R extends unknown[] = unknown[]>(sql: string): SqlQuery<P, R>;
  exec(sql: string): void;
  /** `PRAGMA <text>`: its rows, or with `simple` the first column of the first row. */
  pragma(text: string, options?: { simple: true }): unknown;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): SqlTransaction<A, T>;
  readonly open: boolean;
  close(): void;
}

type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

interface NodeStatement {
  get(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
  run(...p: unknown[]): { changes: number | bigint };
  setAllowUnknownNamedParameters?(enabled: boolean): void;
  /** From Node 22.16 / 24.0. */
  setReturnArrays?(enabled: boolean): void;
}
interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}
type NodeSqlite = { DatabaseSync: new (path: string) => NodeDatabase };

/** `node:sqlite` when this Node has one (unflagged), else undefined. */
function nodeSqlite(): NodeSqlite | undefined {
  return process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;
}

/** The driver this process uses. */
function sqliteDriverName(): SqliteDriverName {
  const forced = process.env.HLGW_SQLITE_DRIVER;
  if (forced === 'better-sqlite3' || forced === 'node:sqlite') return forced;
  return nodeSqliteUsable() ? 'node:sqlite' : 'better-sqlite3';
}

let usable: boolean | undefined;
function nodeSqliteUsable(): boolean {
  if (usable !== undefined) return usable;
  const mod = nodeSqlite();
  usable = false;
  if (mod !== undefined) {
    const db = new mod.DatabaseSync(':memory:');
    try {
      usable = typeof db.prepare('SELECT 1').setAllowUnknownNamedParameters === 'function';
    } finally {
      db.close();
    }
  }
  return usable;
}

/** Opens (creating it if needed) the database at `path` (`:memory:` for one in memory). */
export function openSqlite(path: string): SqlDatabase {
  if (sqliteDriverName() === 'node:sqlite') {
    const mod = nodeSqlite();
    if (mod === undefined) throw new Error('HLGW_SQLITE_DRIVER=node:sqlite: this Node has no node:sqlite');
    return new NodeSqliteDatabase(new mod.DatabaseSync(path));
  }
  const require = createRequire(import.meta.url);
  let Database: new (path: string) => Omit<SqlDatabase, 'prepareArrays'>;
  try {
    Database = require('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new Error(`SQLite store: better-sqlite3 is not installed or did not build for Node ${process.version} (${(err as Error).message.split('\n')[0]}); use Node 22.15 or later (node:sqlite), or reinstall with build tools (python3, make, g++)`);
  }
  // better-sqlite3's Database has this shape but for prepareArrays, its raw mode.
  const db = new Database(path);
  const raw = db as unknown as { prepare(sql: string): { raw(on: boolean): SqlStatement } };
  const prepareArrays = <P extends unknown[], R extends unknown[]>(sql: string) => raw.prepare(sql).raw(true) as SqlQuery<P, R>;
  return Object.assign(db, { prepareArrays });
}

/** node:sqlite behind the interface better-sqlite3 has. */
class NodeSqliteDatabase implements SqlDatabase {
  private depth = 0;
  private isOpen = true;

  constructor(private readonly db: NodeDatabase) {}

  get open(): boolean {
    return this.isOpen;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    const st = this.db.prepare(sql);
    st.setAllowUnknownNamedParameters!(true);
    return {
      get: (...p: P) => st.get(...p) as R | undefined,
      all: (...p: P) => st.all(...p) as R[],
      run: (...p: P) => ({ changes: Number(st.run(...p).changes) }),
    };
  }

  prepareArrays<P extends unknown[] = unknown[], R extends unknown[] = unknown[]>(sql: string): SqlQuery<P, R> {
    const st = this.db.prepare(sql);
    if (st.setReturnArrays !== undefined) {
      st.setReturnArrays(true);
      return { get: (...p: P) => st.get(...p) as R | undefined, all: (...p: P) => st.all(...p) as R[] };
    }
    // Node 22.15 has node:sqlite without array rows: an object row's values are in the SELECT's order.
    const values = (row: unknown) => Object.values(row as object) as R;
    return {
      get: (...p: P) => { const row = st.get(...p); return row === undefined ? undefined : values(row); },
      all: (...p: P) => st.all(...p).map(values),
    };
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(text: string, options?: { simple: true }): unknown {
    const rows = this.db.prepare(`PRAGMA ${text}`).all() as Record<string, unknown>[];
    if (options?.simple !== true) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): SqlTransaction<A, T> {
    const run = (begin: string, args: A): T => {
      const nested = this.depth > 0;
      const savepoint = `hlgw_${this.depth}`;
      this.db.exec(nested ? `SAVEPOINT ${savepoint}` : begin);
      this.depth++;
      try {
        const result = fn(...args);
        this.db.exec(nested ? `RELEASE ${savepoint}` : 'COMMIT');
        return result;
      } catch (err) {
        this.db.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
        throw err;
      } finally {
        this.depth--;
      }
    };
    const tx = ((...args: A) => run('BEGIN', args)) as SqlTransaction<A, T>;
    tx.immediate = (...args: A) => run('BEGIN IMMEDIATE', args);
    return tx;
  }

  close(): void {
    this.isOpen = false;
    this.db.close();
  }
}
