#!/usr/bin/env node
// Redis commands, bytes and memory per store operation, measured on a throwaway redis-server
// (INFO commandstats and INFO stats deltas around N operations through the real RedisStore).
// Inputs of docs/SCALING.md. Usage: npm run build && node bench/redis-costs.mjs [tokens=20000]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createLogger } from '../dist/log.js';
import { RedisStore } from '../dist/store/redis-store.js';

const TOKENS = Number(process.argv[2] ?? 20_000);
const PORTFOLIOS = 100;
const N = 2_000; // operations per measured step
const SUBSCRIBERS = 10;

const port = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
process.on('exit', () => server.kill('SIGKILL'));
const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
admin.on('error', () => undefined); // refused until the server listens
for (;;) { try { await admin.connect(); break; } catch { await sleep(50); } }

const log = createLogger('silent');
const url = `redis://127.0.0.1:${port}`;
const store = await RedisStore.open({ url, prefix: 'hlgw', log });
const HOUR = 3_600_000;
const now = Date.now();
const company = (i) => `company-${String(i % PORTFOLIOS).padStart(4, '0')}`;
const tokenId = (i) => `tok${String(i).padStart(19, '0')}`; // 22 characters, like a real id
const record = (i, userSuffix = '') => ({
  tokenId: tokenId(i), companyId: company(i), userId: `user-${i}${userSuffix}`, login: `user-${i}@${company(i)}.example`,
  generation: 1, createdAt: now, expiresAt: now + 90 * 24 * HOUR, revokedAt: null, lastUsedAt: null,
});

async function stats() {
  const cs = await admin.info('commandstats');
  const st = await admin.info('stats');
  const mem = await admin.info('memory');
  const calls = {};
  for (const m of cs.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) calls[m[1]] = Number(m[2]);
  const n = (re, s) => Number(re.exec(s)[1]);
  return { calls, in: n(/total_net_input_bytes:(\d+)/, st), out: n(/total_net_output_bytes:(\d+)/, st), mem: n(/used_memory:(\d+)/, mem) };
}

async function measure(name, count, fn) {
  await admin.config('RESETSTAT');
  const before = await stats();
  await fn();
  const after = await stats();
  const cmds = {};
  let total = 0;
  for (const [k, v] of Object.entries(after.calls)) {
    const d = v - (before.calls[k] ?? 0) - (k === 'info' ? 3 : 0) - (k === 'config|resetstat' ? 0 : 0);
    if (d > 0 && k !== 'info' && k !== 'config|resetstat') { cmds[k] = +(d / count).toFixed(2); total += d; }
  }
  const row = { name, perOp: { commands: +(total / count).toFixed(2), bytesIn: Math.round((after.in - before.in) / count), bytesOut: Math.round((after.out - before.out) / count), memory: Math.round((after.mem - before.mem) / count) }, commands: cmds };
  console.log(JSON.stringify(row));
  return row;
}

for (let c = 0; c < PORTFOLIOS; c++) {
  await store.putPortfolio({ companyId: company(c), enabled: true, generation: 1, durationMinutes: 129600, sealedKey: 'x'.repeat(80), updatedAt: now });
}
// Background tokens so the structures have realistic sizes.
for (let i = N; i < TOKENS; i += 500) await Promise.all(Array.from({ length: Math.min(500, TOKENS - i) }, (_, k) => store.insertToken(record(i + k), { revokePreviousOfUser: false, now })));

await measure('issue (first token of a user)', N, async () => { for (let i = 0; i < N; i++) await store.insertToken(record(i), { revokePreviousOfUser: true, now }); });
await measure('renew (revokes the previous token)', N, async () => {
  for (let i = 0; i < N; i++) await store.insertToken({ ...record(i), tokenId: `ren${String(i).padStart(19, '0')}` }, { revokePreviousOfUser: true, now });
});
await measure('revoke (DELETE /auth/tokens/{id})', N, async () => { for (let i = N; i < 2 * N; i++) await store.revokeToken(tokenId(i), now); });
await measure('touch (last-use flush, per token, batches of 500)', N, async () => {
  for (let i = 0; i < N; i += 500) await store.touchTokens(new Map(Array.from({ length: 500 }, (_, k) => [tokenId(i + k), now + 1])));
});
await measure('audit append', N, async () => {
  for (let i = 0; i < N; i++) await store.appendAudit({ at: now, companyId: company(i), actor: 'maria@acme.example', action: 'token.revoke', detail: { tokenId: tokenId(i), userId: `user-${i}`, via: 'delete' }, clientAddress: '203.0.113.7' });
});
const revoked = (await store.listRevoked(now)).length;
await measure(`resync (full load: ${PORTFOLIOS} portfolios, ${revoked} revoked) per resync`, 20, async () => {
  for (let i = 0; i < 20; i++) await Promise.all([store.listPortfolios(), store.listRevoked(now)]);
});

// Pub/sub fan-out: the same revocations with SUBSCRIBERS more instances listening.
const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, async () => { const s = new Redis({ port, host: '127.0.0.1' }); await s.subscribe('hlgw:changes'); return s; }));
await measure(`revoke with ${SUBSCRIBERS} more subscribed instances`, N, async () => { for (let i = 2 * N; i < 3 * N; i++) await store.revokeToken(tokenId(i), now); });
for (const s of subs) s.disconnect();

const mem = await admin.info('memory');
const keys = await admin.dbsize();
console.log(JSON.stringify({ tokens: TOKENS + N, portfolios: PORTFOLIOS, keys, usedMemory: Number(/used_memory:(\d+)/.exec(mem)[1]), bytesPerToken: Math.round(Number(/used_memory:(\d+)/.exec(mem)[1]) / (TOKENS + 2 * N)) }));
await store.close();
admin.disconnect();
server.kill('SIGKILL');
