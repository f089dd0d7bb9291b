// What the failed-login limits add to a Basic login on the /auth endpoints, per store:
// `node bench/login-limits.mjs` (after `npm run build`; starts its own redis-server when one is
// installed). Prints the median of many rounds of the limiter's store calls next to the
// password check they guard (scrypt, the users file's default parameters).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../dist/log.js';
import { RedisStore } from '../dist/store/redis-store.js';
import { SqliteStore } from '../dist/store/sqlite-store.js';
import { LoginRateLimiter } from '../dist/users/login-rate-limiter.js';
import { hashPassword, verifyPassword } from '../dist/users/password-hash.js';

const ROUNDS = Number(process.env.ROUNDS ?? 300);
const limits = { perLogin: { maxFailures: 10, windowSeconds: 300 }, perAddress: { maxFailures: 1e5, windowSeconds: 300 } };
const clock = { now: () => Date.now() };

async function median(fn) {
  const t = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = process.hrtime.bigint();
    await fn(i);
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

async function rows(name, store) {
  const limiter = new LoginRateLimiter(store, clock, limits);
  const ok = async () => 'ok';
  const no = async () => undefined;
  // A right password: reserve, then clear the login and give the address its slot back.
  const success = await median((i) => limiter.attempt(`user${i}@acme.example`, '192.0.2.1', ok));
  // A wrong password: reserve; the slot stays (one login per round, so never refused).
  const failure = await median((i) => limiter.attempt(`other${i}@acme.example`, '192.0.2.2', no));
  // A login whose budget is spent: read only, refused.
  for (let i = 0; i < 10; i++) await limiter.attempt('victim@acme.example', '192.0.2.3', no);
  const refused = await median(() => limiter.attempt('victim@acme.example', '192.0.2.3', no).catch(() => undefined));
  console.log(`| ${name} | ${success.toFixed(3)} | ${failure.toFixed(3)} | ${refused.toFixed(3)} |`);
  await store.close();
}

const dir = mkdtempSync(join(tmpdir(), 'hlgw-bench-login-'));
let redis;
try {
  const hash = await hashPassword('a password');
  const scrypt = await median(() => verifyPassword('a guess', hash));
  console.log(`password check (scrypt N=2^14, r=8, p=1): ${scrypt.toFixed(2)} ms median\n`);
  console.log('| store | success (ms) | failure (ms) | refused (ms) |\n| --- | --- | --- | --- |');
  await rows('sqlite (own connection, synchronous=NORMAL)', new SqliteStore(join(dir, 'hlgw.db')));
  const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  redis = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis.on('error', () => undefined);
  await sleep(300);
  const store = await RedisStore.open({ url: `redis://127.0.0.1:${port}`, prefix: 'bench', connectWaitSeconds: 5, log: createLogger('silent') }).catch(() => undefined);
  if (store) await rows('redis (loopback)', store);
  else console.log('| redis | not installed | | |');
} finally {
  redis?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
