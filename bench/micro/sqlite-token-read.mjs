// What the issued-id read of a token cache miss costs, by how SQLite hands over the row: an
// object per row (the driver sets 17 property names) against an array per row (SqlDatabase.
// prepareArrays, what the store uses). 30,000 token rows in a file, 20,000 of them read in a
// scattered order, 200,000 reads; wall time per read on this Node's driver (better-sqlite3 before
// Node 22.15, node:sqlite after).
// Usage: node bench/micro/sqlite-token-read.mjs. Run with `npm run build` done (imports dist/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../dist/store/sqlite-driver.js';
import { SqliteStore } from '../../dist/store/sqlite-store.js';

const ROWS = 30_000;
const READS = 200_000;
const dir = mkdtempSync(join(tmpdir(), 'hlgw-sqlite-read-'));
const path = join(dir, 'hlgw.db');
const id = (i) => `tok${String(i).padStart(20, '0')}`;
try {
  await new SqliteStore(path).close(); // the schema
  const db = openSqlite(path);
  const insert = db.prepare('INSERT INTO tokens (token_id, company_id, user_id, login, generation, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => { for (let i = 0; i < ROWS; i++) insert.run(id(i), 'acme', `u-${i}`, `user${i}@acme.example`, 1, Date.now(), Date.now() + 3_600_000); })();
  db.pragma('mmap_size = 268435456');
  const ids = Array.from({ length: 20_000 }, (_, i) => id((i * 7919) % ROWS));
  const measure = (name, read) => {
    for (let i = 0; i < ids.length; i++) read(ids[i]); // warm-up: every page once
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < READS; i++) read(ids[i % ids.length]);
    console.log(`${name.padEnd(36)} ${(Number(process.hrtime.bigint() - t0) / READS / 1000).toFixed(2)} µs per read`);
  };
  const objects = db.prepare('SELECT * FROM tokens WHERE token_id = ?');
  const arrays = db.prepareArrays('SELECT * FROM tokens WHERE token_id = ?');
  console.log(`node ${process.version}, ${ROWS} token rows, ${READS} reads`);
  measure('row as an object (prepare)', (t) => objects.get(t));
  measure('row as an array (prepareArrays)', (t) => arrays.get(t));
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
