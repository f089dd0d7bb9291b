// Revocation propagation delay between two hlgw instances sharing one Redis.
//
//   npm run build && node bench/propagation.mjs [count=200]
//
// Instance A (this process) revokes tokens one at a time through the Redis store; instance B
// (a child process) holds its own RedisStore and records when each revocation reaches its
// change listener, which is where a gateway applies it to the in-memory state the request path
// reads. Delay = B's receipt time - the moment A started the revoke call (same machine, same
// clock). A local redis-server (AOF, appendfsync everysec) is started on a free loopback port
// and stopped at the end.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Sub-millisecond wall time, comparable between two processes of one machine. */
const hr = () => performance.timeOrigin + performance.now();

const { RedisStore } = await import('../dist/store/redis-store.js');
const { createLogger } = await import('../dist/log.js');
const log = createLogger('silent');

if (process.argv[2] === '--instance-b') {
  // Instance B: report every revocation the moment it arrives.
  const store = await RedisStore.open({ url: process.argv[3], prefix: process.argv[4], log });
  store.onChange((c, origin) => {
    if (c.kind === 'revoked') process.send({ tokenId: c.tokenId, receivedAt: hr(), publishedAt: origin?.publishedAt });
  });
  process.send({ ready: true });
  process.on('disconnect', () => store.close().then(() => process.exit(0)));
} else {
  await main(Number(process.argv[2] ?? 200));
}

async function main(count) {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-prop-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  let b;
  const cleanup = () => { b?.kill('SIGKILL'); redis.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  process.on('exit', cleanup);
  process.on('SIGINT', () => process.exit(130));
  try {
    const url = `redis://127.0.0.1:${port}`;
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const a = await openWithRetry(url, prefix);
    b = fork(new URL(import.meta.url).pathname, ['--instance-b', url, prefix]);
    const arrivals = new Map();
    let waiting;
    b.on('message', (m) => {
      if (m.ready) return waiting?.();
      arrivals.set(m.tokenId, m);
      waiting?.();
    });
    await new Promise((r) => { waiting = r; });

    const now = Date.now();
    await a.putPortfolio({ companyId: 'acme', enabled: true, generation: 1, durationMinutes: 60, sealedKey: null, updatedAt: now });
    const ids = [];
    for (let i = 0; i < count; i++) {
      const tokenId = `tok-${i}`;
      ids.push(tokenId);
      await a.insertToken({ tokenId, companyId: 'acme', userId: `u${i}`, login: `u${i}@acme.example`, generation: 1, createdAt: now, expiresAt: now + 3_600_000, revokedAt: null, lastUsedAt: null }, { revokePreviousOfUser: false, now });
    }

    const delays = [];
    const acks = [];
    for (const id of ids) {
      const t0 = hr();
      await a.revokeToken(id, Date.now());
      acks.push(hr() - t0);
      const deadline = Date.now() + 5000;
      while (!arrivals.has(id)) {
        if (Date.now() > deadline) throw new Error(`revocation ${id} did not reach B within 5 s`);
        await new Promise((r) => { waiting = r; setTimeout(r, 50); });
      }
      delays.push(arrivals.get(id).receivedAt - t0);
      await sleep(2);
    }
    await a.close();
    const s = (xs) => {
      const v = [...xs].sort((x, y) => x - y);
      const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
      const f = (x) => x.toFixed(2);
      return `median ${f(q(0.5))} ms, p99 ${f(q(0.99))} ms, max ${f(v[v.length - 1])} ms`;
    };
    process.stdout.write([
      `revocations: ${count}, A → Redis → B (two processes, loopback, AOF everysec)`,
      `  propagation (A starts the revoke → B's state has it): ${s(delays)}`,
      `  revoke acknowledged to A (write + publish in one script):  ${s(acks)}`,
      '',
    ].join('\n'));
  } finally {
    cleanup();
  }
  process.exit(0);
}

async function openWithRetry(url, prefix) {
  for (let i = 0; ; i++) {
    try {
      return await RedisStore.open({ url, prefix, log });
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
