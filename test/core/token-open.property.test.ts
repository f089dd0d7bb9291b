import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { ERROR_SPECS } from '../../src/http/error-responses.js';
import { DEFAULT_TOKEN_PREFIX } from '../../src/token/format.js';
import { FakeClock } from '../support/fake-clock.js';
import { bodyBytes, flipBodyBit, withChecksum } from '../support/forge.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** What a Bearer credential may contain (RFC 6750 §2.1 b64token), plus a few things it may not. */
const CHARS = [...B64URL, '.', '=', '+', '/', '~', ' ', '\r', '\n', '\u0000', 'é', '\ud800'];

type Mutation =
  | { kind: 'replace'; at: number; ch: string }
  | { kind: 'insert'; at: number; s: string }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'swap-segments'; i: number; j: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...CHARS) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.string({ unit: fc.constantFrom(...CHARS), minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('swap-segments' as const), i: fc.nat(4), j: fc.nat(4) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(token: string, ms: Mutation[]): string {
  let s = token;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : ('at' in m ? m.at % s.length : 0);
    if (m.kind === 'replace') s = s.slice(0, at) + m.ch + s.slice(at + 1);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.s + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.n);
    else if (m.kind === 'truncate') s = s.slice(0, at);
    else {
      const p = s.split('.');
      if (m.i < p.length && m.j < p.length) [p[m.i], p[m.j]] = [p[m.j]!, p[m.i]!];
      s = p.join('.');
    }
  }
  return s;
}

/**
 * Opening a token, for arbitrary input: `validate()` never throws out (sync or async), the only
 * valid answer is for the exact issued token, and every refusal is a GatewayError below 500.
 */
describe.each(STORE_FACTORIES)('token opening, property-based ($name)', (factory) => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let up: RecordingUpstream;
  let t: TestGateway;
  let token: string;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    fresh = await freshStore(factory);
    t = await startGateway({ upstreamUrl: up.url, clock: new FakeClock(), store: fresh.store });
    token = (await enableAndIssue(t)).token;
  });
  afterAll(async () => {
    await t.close();
    await fresh.close();
    await up.stop();
  });

  async function outcome(input: string): Promise<string> {
    let r: unknown;
    try {
      r = await t.gw.validator.validate(input);
    } catch (err) {
      return `threw ${String(err)}`;
    }
    if (r instanceof GatewayError) {
      const status = ERROR_SPECS[r.code].status;
      return status < 500 ? 'refused' : `status ${status} (${r.code})`;
    }
    return input === token ? 'valid' : 'valid for another string';
  }

  it('the issued token itself is valid', async () => {
    expect(await outcome(token)).toBe('valid');
  });

  it('arbitrary strings are refused', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
      expect(await outcome(s)).toBe(s === token ? 'valid' : 'refused');
    }), { numRuns: 300 });
  });

  it('strings of token characters with the right shape are refused', async () => {
    const seg = fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 60 });
    await fc.assert(fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 7 }), async (segs) => {
      const s = segs.join('.');
      expect(await outcome(s)).toBe(s === token ? 'valid' : 'refused');
    }), { numRuns: 300 });
  });

  it('mutations of the issued token are refused unless they give back the very same string', async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
      const s = mutate(token, ms);
      expect(await outcome(s)).toBe(s === token ? 'valid' : 'refused');
    }), { numRuns: 500 });
  });

  // The checksum stops most of the above; these get past it (recomputed) so the parse and the seal must refuse.
  const P = DEFAULT_TOKEN_PREFIX;
  const body = () => token.slice(P.length, -6);

  it('any bit flip of the body, checksum recomputed, is refused', async () => {
    const n = bodyBytes(token).length;
    await fc.assert(fc.asyncProperty(fc.nat(n - 1), fc.nat(7), async (i, bit) => {
      expect(await outcome(flipBodyBit(token, i, bit))).toBe('refused');
    }), { numRuns: 400 });
  });

  it('truncations and extensions of the body, checksum recomputed, are refused', async () => {
    const cut = fc.integer({ min: 1, max: body().length }).map((k) => withChecksum(P + body().slice(0, -k)));
    const grow = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 40 }).map((x) => withChecksum(P + body() + x));
    await fc.assert(fc.asyncProperty(fc.oneof(cut, grow), async (s) => {
      expect(await outcome(s)).toBe('refused');
    }), { numRuns: 300 });
  });

  it('re-encodings of the same bytes (padding, base64 alphabet, unused bits), checksum recomputed, are refused', async () => {
    const bytes = bodyBytes(token);
    const spellings = [
      bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''), `${body()}=`, `${body()}==`,
      ...[...'ABCDEFGHIJKLMNOP'].map((c) => body().slice(0, -1) + c),
    ].filter((b) => b !== body());
    for (const b of spellings) {
      const s = withChecksum(P + b);
      expect(Buffer.from(s.slice(P.length, -6), 'base64url').equals(bytes) ? await outcome(s) : 'refused', b).toBe('refused');
    }
  });

  it('strings shaped like a token, with a correct checksum, are refused', async () => {
    const shaped = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 80, maxLength: 300 }).map((b) => withChecksum(P + b));
    await fc.assert(fc.asyncProperty(shaped, async (s) => {
      expect(await outcome(s)).toBe('refused');
    }), { numRuns: 300 });
  });
});
