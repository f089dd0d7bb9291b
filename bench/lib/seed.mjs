// Seeds the gateway's SQLite file before any gateway child starts (no HTTP API needed):
// one enabled portfolio with a pass phrase, token rows, revoked token rows, and sealed tokens
// minted offline with the portfolio key (the key schedule of src/token/derive-key.ts). Only issued
// tokens are valid: a token the rows send needs its store row, which the gateway reads
// on a cache miss; the rows also make the batched last-use writes real UPDATEs.
import { createSecretKey, randomBytes } from 'node:crypto';
import { MasterKey } from '../../dist/secrets/master-key.js';
import { SqliteStore } from '../../dist/store/sqlite-store.js';
import { stretchPassphrase, tokenKey } from '../../dist/token/derive-key.js';
import { mintToken } from '../../dist/token/mint.js';
import { newReplayKey, sealCredential } from '../../dist/identity/replay-credential.js';

const COMPANY = 'bench';
const PASSPHRASE = 'bench pass phrase, not a secret';
const VALIDITY_SECONDS = 24 * 3600;

/**
 * counts: { valid: how many distinct valid tokens, stored: how many of them (from the first) also get
 * a store row, revoked, forged (same header, wrong key), basic: tokens issued in identity.upstream
 * basic mode (a credential sealed in the row, its key in the token; 0 when no row needs them) }.
 * Returns { masterKeyB64, tokens: { valid[], revoked[], forged[], basic[], scoped[] (one token scoped to `bench`) } }.
 */
export async function seed(dbPath, counts) {
  const masterKeyB64 = randomBytes(32).toString('base64');
  const master = MasterKey.fromBase64(masterKeyB64, 'bench');
  const raw = await stretchPassphrase(PASSPHRASE, COMPANY);
  const key = tokenKey(raw, master, COMPANY, 1);
  const now = Date.now();
  const store = new SqliteStore(dbPath);
  // Seeding is not measured and the file is thrown away: no fsync per row (the store's FULL
  // durability would make 100,000 rows take minutes). The gateway children open it afterwards.
  store.db.pragma('synchronous = OFF');
  try {
    await store.putPortfolio({
      companyId: COMPANY, enabled: true, generation: 1, durationMinutes: VALIDITY_SECONDS / 60,
      sealedKey: master.seal(raw, COMPANY), updatedAt: now,
    });
    const nowS = Math.floor(now / 1000);
    const mint = (k, i, prefix, replayKey, scopes) => mintToken({
      companyId: COMPANY, generation: 1, key: k, userId: `${prefix}-${i}`, login: `${prefix}-${i}@bench.example`,
      now: nowS, validitySeconds: VALIDITY_SECONDS, replayKey, scopes,
    });

    const valid = new Array(counts.valid);
    const record = (claims) => ({
      tokenId: claims.tokenId, companyId: COMPANY, userId: claims.userId, login: claims.login, generation: 1,
      createdAt: claims.issuedAt * 1000, expiresAt: claims.expiresAt * 1000, revokedAt: null, lastUsedAt: null,
    });
    for (let i = 0; i < counts.valid; i++) {
      const { token, claims } = await mint(key, i, 'user');
      // As issued by the gateway: the batched last-use writes then update real rows.
      if (i < counts.stored) await store.insertToken(record(claims), { revokePreviousOfUser: false, now });
      valid[i] = token;
    }

    const basic = [];
    for (let i = 0; i < (counts.basic ?? 0); i++) {
      const replayKey = newReplayKey();
      const { token, claims } = await mint(key, i, 'basic', replayKey);
      const credential = `Basic ${Buffer.from(`${claims.login}:bench-password-${i}`).toString('base64')}`;
      await store.insertToken({ ...record(claims), sealedCredential: sealCredential(credential, replayKey, claims.tokenId) }, { revokePreviousOfUser: false, now });
      basic.push(token);
    }

    // A named token whose only scope is the bench's own (GATEWAY_SCOPES in bench/lib/gateways.mjs): every
    // request passes the scope check (gateway-bearer-hot-scoped).
    const scoped = [];
    {
      const { token, claims } = await mint(key, 0, 'scoped', undefined, ['bench']);
      await store.insertToken({ ...record(claims), name: 'bench', scopes: ['bench'] }, { revokePreviousOfUser: false, now, maxNamed: 1 });
      scoped.push(token);
    }

    const revoked = [];
    for (let i = 0; i < counts.revoked; i++) {
      const { token, claims } = await mint(key, i, 'revoked');
      await store.insertToken(record(claims), { revokePreviousOfUser: false, now });
      if (!(await store.revokeToken(claims.tokenId, now))) throw new Error('seed: revokeToken returned false');
      revoked.push(token);
    }

    // Well-formed, right portfolio and generation, sealed with another key: the seal check fails.
    const wrongKey = createSecretKey(randomBytes(32));
    const forged = [];
    for (let i = 0; i < counts.forged; i++) forged.push((await mint(wrongKey, i, 'forged')).token);

    return { masterKeyB64, tokens: { valid, revoked, forged, basic, scoped } };
  } finally {
    await store.close();
  }
}
