import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../../src/identity/signing-keys.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { GatewayProcess, MASTER_KEY } from '../support/gateway-process.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

/** `hlgw keys rotate` as operators run it: dist/cli.js against the store, with the master key. */
const dir = mkdtempSync(join(tmpdir(), 'hlgw-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MASTER = randomBytes(32).toString('base64');
const WRONG = randomBytes(32).toString('base64');

/** `masterKey` null: neither HLGW_MASTER_KEY nor (in these configs) the key file. */
function rotate(config: string, extra: string[] = [], masterKey: string | null = MASTER) {
  return spawnSync(process.execPath, ['dist/cli.js', 'keys', 'rotate', '--config', config, ...extra], {
    encoding: 'utf8', timeout: 20_000,
    env: { PATH: process.env.PATH, ...(masterKey === null ? {} : { HLGW_MASTER_KEY: masterKey }) },
  });
}

/** A config on its own SQLite file; the master key file it names does not exist. */
function setUp(name: string) {
  const db = join(dir, `${name}.db`);
  const keyFile = join(dir, `${name}-master.key`);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `store:\n  type: sqlite\n  path: ${db}\nsecrets:\n  masterKeyFile: ${keyFile}\nidentity:\n  upstream: assertion\n  assertion:\n    alg: EdDSA\n    keyRefreshSeconds: 5\n`);
  return { db, keyFile, config };
}

async function signingKeysIn(db: string) {
  const store = new SqliteStore(db);
  try {
    return await store.listSigningKeys();
  } finally {
    await store.close();
  }
}

describe('hlgw keys rotate', () => {
  it('adds a key that signs after two refresh periods; the previous one retires then (and stays published for the overlap)', async () => {
    const { db, config } = setUp('rotate');
    const first = rotate(config, ['--now']);
    expect(first.status, first.stderr).toBe(0);
    const second = rotate(config);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^new signing key \S+ \(EdDSA\) stored; every instance publishes it within 5 s \(identity\.assertion\.keyRefreshSeconds\), signing from /);
    expect(second.stdout).not.toContain('published now');
    expect(second.stdout + second.stderr).not.toMatch(/PRIVATE|"d":/);

    const keys = await signingKeysIn(db);
    expect(keys).toHaveLength(2);
    const [older, newer] = keys;
    expect(newer!.activeFrom - newer!.createdAt).toBe(10_000);
    expect(older!.retiredAt).toBe(newer!.activeFrom);
    expect(newer!.retiredAt).toBeNull();
  });

  // The attack: a key sealed under another master key would 503 every Bearer of every instance.
  it.each([
    { name: 'another HLGW_MASTER_KEY', masterKey: WRONG, says: /master key does not open/ },
    { name: 'no master key at all', masterKey: null, says: /no master key/ },
  ])('with $name: refuses, creates no key file, leaves the store as it was', async ({ masterKey, says }) => {
    const { db, keyFile, config } = setUp(`refuse-${masterKey === null ? 'none' : 'wrong'}`);
    const store = new SqliteStore(db);
    await rotateSigningKeys(store, MasterKey.fromBase64(MASTER, 'test'), { alg: 'EdDSA', now: Date.now(), activateAfterMs: 0 });
    await store.close();
    const before = await signingKeysIn(db);

    const r = rotate(config, [], masterKey);
    expect(r.status, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).not.toContain(MASTER);
    expect(r.stdout).not.toMatch(/new signing key/);
    expect(existsSync(keyFile)).toBe(false);
    expect(await signingKeysIn(db)).toEqual(before);

    // The right key still rotates.
    expect(rotate(config, [], MASTER).status).toBe(0);
  });
});

/**
 * A store that holds a signing key the gateway cannot open (written by an older CLI under another
 * master key): Bearer requests get 503, the process lives on, Basic is still forwarded, /readyz
 * says not ready, and it is counted and logged once.
 */
describe('a signing key that does not open with the gateway\'s master key', () => {
  const upstream = new RecordingUpstream();
  let g: GatewayProcess | undefined;
  afterAll(async () => {
    await g?.stop();
    await upstream.stop();
  });

  it('answers Bearer 503 without ending the process; Basic is still forwarded; not ready; counted; logged once', { timeout: 60_000 }, async () => {
    await upstream.start();
    const db = join(dir, 'unopenable.db');
    const store = new SqliteStore(db);
    const bad = await rotateSigningKeys(store, MasterKey.fromBase64(WRONG, 'older CLI'), { alg: 'EdDSA', now: Date.now(), activateAfterMs: 0 });
    await store.close();

    g = await GatewayProcess.start('unopenable-key', {
      upstream: { url: upstream.url },
      store: { type: 'sqlite', path: db },
      identity: { upstream: 'assertion', assertion: { alg: 'EdDSA' } },
    });
    await g.enable();
    const { access_token: token } = await g.issue();

    for (let i = 0; i < 2; i++) {
      const r = await g.useToken(token);
      expect(r.status, r.text).toBe(503);
      expect(r.json().code).toBe('signing_key_unusable');
    }
    expect(upstream.requests.filter((q) => q.headers['x-highlight-identity'] !== undefined)).toHaveLength(0);
    expect((await g.useBasic()).status).toBe(200);
    expect((await g.admin_('/healthz')).status).toBe(200);

    const ready = await g.admin_('/readyz');
    expect(ready.status).toBe(503);
    const reason = ready.json<{ reason: string }>().reason;
    expect(reason).toMatch(/signing key/);
    expect(reason).not.toContain(MASTER_KEY);
    expect(reason).not.toContain(bad.sealedPrivateKey);
    expect(reason).not.toContain(WRONG);

    const metrics = (await g.admin_('/metrics')).text;
    expect(metrics).toMatch(/hlgw_request_failures_total\{code="signing_key_unusable"\} 2\b/);
    expect(g.logs.match(/does not open with this master key/g)).toHaveLength(1);
    expect(g.logs).not.toMatch(/uncaught|unhandled/i);
  });
});
