// Microbenchmark of the token's open path (docs/architecture/token.md, "Why not a JWE"): the current
// format's openToken (prefix, checksum, canonical spelling, envelope, AES-256-GCM through node:crypto,
// binary claims) against the previous format's core, jose's compactDecrypt of a `dir` + A256GCM JWE
// and the JSON parse of its claims. Both with the same key, user and times, in one process, one at a
// time (no I/O, no store): what a cache miss costs before the store read. Also prints token lengths.
//
//   npm run build && node bench/micro/open-token.mjs [--ms 2000] [--rounds 5]
//
// Prints one JSON object: µs per open (median of the rounds, and each round), and the lengths.
import { createSecretKey, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EncryptJWT, compactDecrypt } from 'jose';
import { mintToken } from '../../dist/token/mint.js';
import { openToken } from '../../dist/token/open-token.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const MS = Number(values.ms);
const ROUNDS = Number(values.rounds);

const key = createSecretKey(randomBytes(32));
const now = Math.floor(Date.now() / 1000);
const user = { companyId: 'acme', generation: 1, userId: 'u-42', login: 'alice@acme.example' };
const state = {
  portfolio: () => ({ companyId: 'acme', enabled: true, generation: 1, durationMinutes: 1440, key }),
  isAllowed: () => true, isDeniedByOperator: () => false, isRevoked: () => false, revoke: () => undefined,
};

const { token } = await mintToken({ ...user, key, now, validitySeconds: 86400 });
const jwe = await new EncryptJWT({ sub: user.userId, login: user.login, cid: user.companyId })
  .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'hlgw-at+v2', cid: user.companyId, kgen: user.generation })
  .setJti(randomBytes(16).toString('base64url')).setIssuedAt(now).setExpirationTime(now + 86400)
  .encrypt(key);
const utf8 = new TextDecoder('utf-8', { fatal: true });

const cases = {
  'openToken (hlgw_ format)': () => openToken(token, state, now, 30),
  'compactDecrypt + JSON.parse (JWE, previous format)': async () => {
    const { plaintext } = await compactDecrypt(jwe, () => key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return JSON.parse(utf8.decode(plaintext));
  },
};

/** µs per call over about MS milliseconds, awaiting each call as the validator does. */
async function measure(fn) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(MS) * 1_000_000n;
  let t = t0;
  while (t < end) {
    for (let i = 0; i < 256; i++) await fn();
    n += 256;
    t = process.hrtime.bigint();
  }
  return Number(t - t0) / 1000 / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const fn of Object.values(cases)) await measure(fn); // warm-up, every case
// Rounds alternate the cases, so a busy spell of the machine weighs on both alike.
const rounds = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(cases)) rounds[name].push(await measure(fn));
const results = Object.fromEntries(Object.entries(rounds).map(([name, xs]) =>
  [name, { medianMicros: Number(median(xs).toFixed(2)), roundsMicros: xs.map((x) => Number(x.toFixed(2))) }]));
console.log(JSON.stringify({
  node: process.version, msPerRound: MS, rounds: ROUNDS, results,
  lengths: { [`hlgw_ token (user id ${user.userId}, login ${user.login}, company ${user.companyId})`]: token.length, 'JWE of the same claims (previous format)': jwe.length },
}, null, 2));
