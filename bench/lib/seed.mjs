// Seeds the gateway's SQLite file before any gateway child starts (no HTTP API needed):
// one enabled portfolio with a pass phrase, token rows, revoked token rows, and sealed tokens
// minted offline with the portfolio key. A valid token needs no store row to pass (the gateway
// checks the seal, the claims, the portfolio state and the revocation list), but the rows make
// the gateway's batched last-use writes real UPDATEs, as in production.
import { createSecretKey, randomBytes } from 'node:crypto';
import { MasterKey } from '../../dist/secrets/master-key.js';
import { SqliteStore } from '../../dist/store/sqlite-store.js';
import { derivePortfolioKey } from '../../dist/token/derive-key.js';
import { mintToken } from '../../dist/token/mint.js';

export const COMPANY = 'bench';
const PASSPHRASE = 'bench pass phrase, not a secret';
const VALIDITY_SECONDS = 24 * 3600;

/**
 * counts: { valid: how many distinct valid tokens, stored: how many of them (from the first) also get
 * a store row, revoked, forged (same header, wrong key) }.
 * Returns { masterKeyB64, tokens: { valid[], revoked[], forged[] } }.
 */
export async function seed(dbPath, counts) {
  const masterKeyB64 = randomBytes(32).toString('base64');
  const master = MasterKey.fromBase64(masterKeyB64, 'bench');
  const raw = await derivePortfolioKey(PASSPHRASE, COMPANY);
  const key = createSecretKey(raw);
  const now = Date.now();
  const store = new SqliteStore(dbPath);
  try {
    await store.putPortfolio({
      companyId: COMPANY, enabled: true, generation: 1, durationMinutes: VALIDITY_SECONDS / 60,
      sealedKey: master.seal(raw, COMPANY), updatedAt: now,
    });
    const nowS = Math.floor(now / 1000);
    const mint = (k, i, prefix) => mintToken({
      companyId: COMPANY, generation: 1, key: k, userId: `${prefix}-${i}`, login: `${prefix}-${i}@bench.example`,
      now: nowS, validitySeconds: VALIDITY_SECONDS,
    });

    const valid = new Array(counts.valid);
    const record = (claims) => ({
      tokenId: claims.tokenId, companyId: COMPANY, userId: claims.userId, login: claims.login, generation: 1,
      createdAt: now, expiresAt: claims.expiresAt * 1000, revokedAt: null, lastUsedAt: null,
    });
    for (let i = 0; i < counts.valid; i++) {
      const { token, claims } = await mint(key, i, 'user');
      // As issued by the gateway: the batched last-use writes then update real rows.
      if (i < counts.stored) await store.insertToken(record(claims), { revokePreviousOfUser: false, now });
      valid[i] = token;
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

    return { masterKeyB64, tokens: { valid, revoked, forged } };
  } finally {
    await store.close();
  }
}
