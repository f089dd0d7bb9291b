// `node --expose-gc bench/micro/revoked-set-memory.mjs [count]`: memory per revoked, unexpired token
// id held by every gateway instance (TokenState's `revoked`, a Map<string, number> of token id →
// expiry in ms). Fills a Map with `count` (default 1,000,000) distinct 22-character ids (base64url
// of 16 random bytes, the token id's shape), then reads the V8 heap after a forced full GC.
import { randomBytes } from 'node:crypto';

if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with --expose-gc: node --expose-gc bench/micro/revoked-set-memory.mjs\n');
  process.exit(2);
}
const count = Number(process.argv[2] ?? 1_000_000);
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
// Ids made first (a flat string each, as read from the store), so the delta is the Map's own cost
// plus the strings it keeps alive.
const before = heap();
const revoked = new Map();
const expiry = Date.now() + 90 * 24 * 3600 * 1000;
for (let i = 0; i < count; i++) revoked.set(randomBytes(16).toString('base64url'), expiry + i);
const after = heap();
process.stdout.write(`${count.toLocaleString('en-US')} revoked ids in a Map<string, number>: ${((after - before) / 2 ** 20).toFixed(1)} MiB of heap after GC, ` +
  `${Math.round((after - before) / count)} bytes per id (Node ${process.version})\n`);
if (revoked.size !== count) process.exit(1);
