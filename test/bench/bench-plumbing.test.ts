import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The bench's plumbing, on a tiny duration, so `npm run bench` cannot silently rot: servers
 * start, rows run, the table and the JSON have their shape, every child is stopped and the
 * committed bench/RESULTS.md is left alone. No assertion on speed. Needs dist/ (pretest builds it).
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const ROWS = ['direct', 'gateway-bearer-hot', 'gateway-invalid'];
const RESULTS_MD = join(ROOT, 'bench', 'RESULTS.md');

describe('npm run bench -- --quick (plumbing)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-bench-test-'));
  const out = join(dir, 'bench.json');
  const mdBefore = existsSync(RESULTS_MD) ? statSync(RESULTS_MD).mtimeMs : undefined;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the selected rows and prints a table and JSON of the documented shape', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['bench/run.mjs', '--quick', '--duration', '1', '--warmup', '0', '--rounds', '1', '--connections', '2',
        '--rows', ROWS.join(','), '--no-memory', '--no-write', '--out', out],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stderr).toMatch(/pinned with taskset|not pinned/);

    // The table: a header with the ratio columns, then one line per row, in order.
    const lines = stdout.split('\n').filter((l) => l.startsWith('| '));
    expect(lines[0]).toMatch(/^\| row \| r1 req\/s \| median req\/s \| p50 ms \| p99 ms \| non-2xx .*\| × bare-http-proxy \| × bare-undici \| × direct \|/);
    expect(lines.slice(2).map((l) => l.split('|')[1]!.trim())).toEqual(ROWS);
    expect(stdout).toMatch(/counts responses other than 401/);

    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json).toMatchObject({
      date: expect.any(String),
      machine: { cores: expect.any(Number), cpuModel: expect.any(String) },
      versions: { node: process.version, undici: expect.any(String), 'http-proxy': expect.any(String), jose: expect.any(String), autocannon: expect.any(String) },
      // The server children's Node (here the default: this one), checked and recorded.
      serverNode: { binary: process.execPath, version: process.version },
      options: { rounds: 1, quick: true },
    });
    expect(stdout).toContain(`server children (upstream, baselines, gateways): ${process.version}`);
    expect(json.rows.map((r: { name: string }) => r.name)).toEqual(ROWS);
    for (const r of json.rows) {
      expect(r.rounds).toHaveLength(1);
      expect(r.medianRps).toBeGreaterThan(0);
      expect(typeof r.p50Ms).toBe('number');
      expect(typeof r.p99Ms).toBe('number');
      expect(r.ratio).toHaveProperty('direct');
      expect(r.errors).toBe(0);
      // CPU per request of every row's server process, baselines included (from /proc).
      if (process.platform === 'linux') expect(r.cpuUsPerReq).toBeGreaterThan(0);
    }
    const byName = Object.fromEntries(json.rows.map((r: { name: string }) => [r.name, r]));
    // Right answers, not speed: the gateway forwarded the valid token and refused the forged ones.
    expect(byName['gateway-bearer-hot'].status).toHaveProperty('200');
    expect(byName['gateway-bearer-hot'].unexpected).toBe(0);
    expect(Object.keys(byName['gateway-invalid'].status)).toEqual(['401']);
    expect(byName['gateway-bearer-hot'].cacheHitPct).toBeGreaterThan(0);
    // No bare-undici in these rows: no overhead to count, and direct has none by definition.
    expect(byName['gateway-bearer-hot'].overheadUsPerReq).toBeNull();
    expect(byName.direct.overheadUsPerReq).toBeNull();

    if (mdBefore !== undefined) expect(statSync(RESULTS_MD).mtimeMs).toBe(mdBefore);
  }, 70_000);

  it('runs the floor rows (the headers the gateway adds, without its logic) while every other row\'s server rests', async () => {
    const floors = ['bare-undici', 'bare-undici+headers', 'bare-undici+identity', 'bare-http-proxy+identity', 'gateway-anonymous'];
    const file = join(dir, 'floors.json');
    const { stderr } = await run(
      process.execPath,
      ['bench/run.mjs', '--quick', '--duration', '1', '--warmup', '0', '--rounds', '2', '--connections', '2',
        '--rows', floors.join(','), '--no-memory', '--no-write', '--out', file],
      { cwd: ROOT, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json.rows.map((r: { name: string }) => r.name)).toEqual(floors);
    // Every row answered every request 200 in both rounds: a server stopped (SIGSTOP) while the
    // others ran was continued in time for its own row, and the Bearer-sending floor forwards.
    for (const r of json.rows) {
      expect(r.rounds).toHaveLength(2);
      expect(r.errors).toBe(0);
      expect(r.unexpected).toBe(0);
      expect(Object.keys(r.status)).toEqual(['200']);
    }
    // The targets table (on stderr) names each target's floor.
    expect(stderr).toMatch(/\| gateway-anonymous \| ≥ 0\.90 × bare-undici \| [\d.]+ × bare-undici \| (met|missed) \| bare-undici\+headers [\d.]+ \|/);
  }, 100_000);

  it('refuses a --node binary that does not run, before starting anything, and says why', async () => {
    const missing = join(dir, 'no-such-node');
    const err = await run(process.execPath, ['bench/run.mjs', '--quick', '--rows', 'direct', '--node', missing], { cwd: ROOT, timeout: 30_000 })
      .then(() => undefined, (e: unknown) => e as { code: number; stderr: string });
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain(`--node ${missing}: it does not run`);
  });

  it('node bench/peers.mjs says where it looked when there is no peers harness, and writes nothing', async () => {
    const missing = join(dir, 'no-peers');
    const err = await run(process.execPath, ['bench/peers.mjs', '--peers', missing], { cwd: ROOT, timeout: 30_000 })
      .then(() => undefined, (e: unknown) => e as { code: number; stderr: string });
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`peers: no peers harness at ${missing}`);
  });
});
