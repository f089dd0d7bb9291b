import { scrypt } from 'node:crypto';

/**
 * RFC 8725 §3.5: a pass phrase is never a key. The portfolio key is scrypt(pass phrase,
 * salt = a label + the company id), so the same pass phrase on two portfolios gives two keys.
 * Slow on purpose (about 50-100 ms): it runs when a policy is set, never per request.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export function derivePortfolioKey(passphrase: string, companyId: string): Promise<Buffer> {
  const salt = `hlgw/portfolio-key/v1:${companyId}`;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
