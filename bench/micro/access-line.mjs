// What one access-log line costs the gateway's process, by logger setup (pino with and without
// redaction, against the gateway's own line builder): 100,000 lines of a
// representative access entry written to a file, CPU time (user + system) per line.
// Usage: node bench/micro/access-line.mjs [lines]. Run with `npm run build` done (imports dist/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { accessLine } from '../../dist/http/access-line.js';
import { createLogger } from '../../dist/log.js';

const LINES = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'hlgw-access-line-'));
const entry = (i) => ({
  requestId: '0b8a4c9e-6a43-4c1e-9a59-5b0f0c7e2f11', method: 'GET', path: '/WS2/domains/12345/applications', status: 200,
  auth: 'bearer', outcome: 'forwarded', reason: undefined, upstreamStatus: 200, upstreamMs: 1.234, durationMs: 2.345 + i % 7,
  bytesIn: 0, bytesOut: 312, client: '127.0.0.1', tokenId: 'q3Vd0o2xkq8oP9yQd7Hq1A', companyId: 'acme', userId: undefined, aborted: undefined,
});

async function measure(name, make) {
  const file = join(dir, `${name}.log`);
  const { log, flush } = make(file);
  for (let i = 0; i < 2000; i++) log.info(entry(i), 'access'); // warm-up
  await flush();
  const c0 = process.cpuUsage();
  for (let i = 0; i < LINES; i++) log.info(entry(i), 'access');
  await flush();
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(44)} ${((c.user + c.system) / LINES).toFixed(2)} µs CPU per line (user ${(c.user / LINES).toFixed(2)}, system ${(c.system / LINES).toFixed(2)})`);
}

const flushOf = (dest) => () => new Promise((r) => dest.flush(() => r()));
await measure('createLogger (redact) + sync destination', (file) => {
  const dest = pino.destination({ dest: file, sync: true });
  return { log: createLogger('info', dest).child({ log: 'access' }), flush: async () => {} };
});
await measure('createLogger (redact) + 8 KiB async buffer', (file) => {
  const dest = pino.destination({ dest: file, sync: false, minLength: 8 * 1024 });
  return { log: createLogger('info', dest).child({ log: 'access' }), flush: flushOf(dest) };
});
await measure('pino, no redact + sync destination', (file) => {
  const dest = pino.destination({ dest: file, sync: true });
  return { log: pino({ base: { service: 'hlgw' } }, dest).child({ log: 'access' }), flush: async () => {} };
});
await measure('pino, no redact + 8 KiB async buffer', (file) => {
  const dest = pino.destination({ dest: file, sync: false, minLength: 8 * 1024 });
  return { log: pino({ base: { service: 'hlgw' } }, dest).child({ log: 'access' }), flush: flushOf(dest) };
});
// What the gateway does (src/http/access-line.ts + src/log.ts createAccessLogger on a regular file).
for (const kib of [2, 12]) {
  await measure(`accessLine + sync ${kib} KiB chunks`, (file) => {
    const dest = pino.destination({ dest: file, sync: true, minLength: kib * 1024 });
    return { log: { info: (e) => dest.write(accessLine(e, Date.now())) }, flush: async () => dest.flushSync() };
  });
}
rmSync(dir, { recursive: true, force: true });
