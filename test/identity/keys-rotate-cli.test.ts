import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';

/** `hlgw keys rotate` as operators run it: dist/cli.js against the store, with the master key. */
const dir = mkdtempSync(join(tmpdir(), 'hlgw-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rotate(config: string, extra: string[] = []) {
  return spawnSync(process.execPath, ['dist/cli.js', 'keys', 'rotate', '--config', config, ...extra], {
    encoding: 'utf8', timeout: 20_000,
    env: { PATH: process.env.PATH, HLGW_MASTER_KEY: MASTER },
  });
}
const MASTER = randomBytes(32).toString('base64');

describe('hlgw keys rotate', () => {
  it('adds a key that signs after two refresh periods; the previous one retires then (and stays published for the overlap)', async () => {
    const db = join(dir, 'hlgw.db');
    const config = join(dir, 'gateway.yaml');
    writeFileSync(config, `store:\n  type: sqlite\n  path: ${db}\nidentity:\n  upstream: assertion\n  assertion:\n    alg: EdDSA\n    keyRefreshSeconds: 5\n`);
    const first = rotate(config, ['--now']);
    expect(first.status, first.stderr).toBe(0);
    const second = rotate(config);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/new signing key \S+ \(EdDSA\), published now, signing from /);
    expect(second.stdout + second.stderr).not.toMatch(/PRIVATE|"d":/);

    const store = new SqliteStore(db);
    const keys = await store.listSigningKeys();
    await store.close();
    expect(keys).toHaveLength(2);
    const [older, newer] = keys;
    expect(newer!.activeFrom - newer!.createdAt).toBe(10_000);
    expect(older!.retiredAt).toBe(newer!.activeFrom);
    expect(newer!.retiredAt).toBeNull();
  });
});
