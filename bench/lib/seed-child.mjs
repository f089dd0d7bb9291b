// Seeding in a child process on the server children's Node (`--node`): seed.mjs imports dist/ and
// SQLite (better-sqlite3 on Node before 22.15 is a native addon built for one Node ABI), so the bench process never loads it.
// Usage: node seed-child.mjs <db path> <counts as JSON> <result file>; the result ({ masterKeyB64,
// tokens }) is written as JSON to <result file>, then the process exits 0.
import { writeFileSync } from 'node:fs';
import { seed } from './seed.mjs';

const [dbPath, countsJson, outFile] = process.argv.slice(2);
if (!dbPath || !countsJson || !outFile) {
  process.stderr.write('usage: node seed-child.mjs <db path> <counts JSON> <result file>\n');
  process.exit(2);
}
const result = await seed(dbPath, JSON.parse(countsJson));
writeFileSync(outFile, JSON.stringify(result));
