import { createHmac, randomBytes } from 'node:crypto';
import NodeCache from 'node-cache';
import { request } from 'undici';
import { GatewayError } from '../errors.js';
import { COMPANY_ID_RE } from '../token/format.js';
import { readAncestors } from './ancestors.js';
import { resolvePointer } from './json-pointer.js';
import type { UserIdentity, UserSource, UserStanding } from './types.js';

export interface UpstreamUserSourceOptions {
  /** Full URL the credential is sent to (upstream.url + users.path). */
  url: string;
  method: 'GET' | 'POST';
  timeoutMs: number;
  /** Positive answers are kept this long; 0 turns the cache off. */
  cacheSeconds: number;
  /** `ancestors`, when set: the company's ancestors, root first (src/users/ancestors.ts). */
  pointers: { userId: string; login: string; companyId: string; roles: string; ancestors?: string | undefined };
}

/** The directory's JSON answer is read up to this size; a user record is small. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * `users.source: upstream`: the real API decides. The Basic credential goes to a configured
 * path; 2xx = valid (identity read by JSON pointers), 401/403 = invalid, anything else or no
 * answer = `user_source_unavailable` (502), never "wrong password".
 *
 * Positive answers are cached (node-cache) under HMAC(process key, login NUL password): the
 * credential itself is never a key, and the key dies with the process.
 */
export class UpstreamUserSource implements UserSource {
  readonly kind = 'upstream' as const;
  private readonly cache: NodeCache | undefined;
  private readonly hmacKey = randomBytes(32);

  constructor(private readonly o: UpstreamUserSourceOptions) {
    this.cache = o.cacheSeconds > 0 ? new NodeCache({ stdTTL: o.cacheSeconds, checkperiod: Math.max(1, o.cacheSeconds), useClones: false }) : undefined;
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    const key = createHmac('sha256', this.hmacKey).update(login).update('\0').update(password).digest('base64url');
    const hit = this.cache?.get<UserIdentity>(key);
    if (hit !== undefined) return hit;

    const authorization = 'Basic ' + Buffer.from(`${login}:${password}`, 'utf8').toString('base64');
    let status: number;
    let body: unknown;
    try {
      const r = await request(this.o.url, {
        method: this.o.method,
        headers: { authorization, accept: 'application/json' },
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
      });
      status = r.statusCode;
      if (status < 200 || status > 299) {
        await r.body.dump();
      } else {
        body = await readJson(r.body);
      }
    } catch (err) {
      throw new GatewayError('user_source_unavailable', undefined, { cause: err });
    }
    if (status === 401 || status === 403) return undefined;
    if (status < 200 || status > 299) throw new GatewayError('user_source_unavailable', undefined, { cause: new Error(`directory answered HTTP ${status}`) });

    const identity = this.identityFrom(body, login);
    this.cache?.set(key, identity);
    return identity;
  }

  private identityFrom(body: unknown, login: string): UserIdentity {
    const p = this.o.pointers;
    const userId = resolvePointer(body, p.userId);
    const companyId = resolvePointer(body, p.companyId);
    const foundLogin = resolvePointer(body, p.login);
    const roles = resolvePointer(body, p.roles);
    const cid = typeof companyId === 'number' ? String(companyId) : companyId;
    if ((typeof userId !== 'string' && typeof userId !== 'number') || String(userId) === '' ||
        typeof cid !== 'string' || !COMPANY_ID_RE.test(cid)) {
      throw new GatewayError('user_source_unavailable', undefined, { cause: new Error('directory answer lacks a user id or company id at the configured pointers') });
    }
    const ancestors = p.ancestors === undefined ? undefined : readAncestors(resolvePointer(body, p.ancestors), cid);
    if (ancestors !== undefined && !Array.isArray(ancestors)) {
      // Nothing is learned from such an answer, and nobody signs in with it.
      throw new GatewayError('user_source_unavailable', `the directory's company ancestors (${p.ancestors}) ${ancestors.refused}`);
    }
    return {
      userId: String(userId),
      login: typeof foundLogin === 'string' && foundLogin !== '' ? foundLogin : login,
      companyId: cid,
      roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : typeof roles === 'string' ? [roles] : [],
      ...(ancestors !== undefined ? { ancestors } : {}),
    };
  }

  /** Without a password the directory cannot be asked: Bearer callers are plain users. */
  rolesOf(): readonly string[] {
    return [];
  }

  /** The directory is asked only with a password: a session keeps what the last sign-in said. */
  standingOf(): UserStanding {
    return { kind: 'unknowable' };
  }

  close(): void {
    this.cache?.close();
  }
}

async function readJson(body: AsyncIterable<Buffer>): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > MAX_BODY_BYTES) throw new Error('directory answer too large');
    chunks.push(c);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
