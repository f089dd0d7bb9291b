import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import type { GatewayConfig } from '../config/schema.js';
import type { SsoProviderConfig } from '../config/sso-schema.js';
import { createLogger } from '../log.js';
import { redactUrl } from '../secrets/redact-url.js';
import { loadUpstreamTls, tlsConnector } from '../proxy/upstream-tls.js';
import { openStore } from '../store/open-store.js';
import { FileUserSource } from '../users/file-user-source.js';
import { userProbeUrl } from '../users/open-user-source.js';

interface Check { line: string; failed: boolean }

/**
 * `hlgw check-config --connect`: opens what the config names, one line per check, so a Redis
 * where nothing listens is found before `hlgw serve`: the store, the upstream, the users source,
 * then each SSO provider.
 */
export async function checkConnections(config: GatewayConfig): Promise<{ lines: string[]; failed: boolean }> {
  const checks = [await checkStore(config), await checkUpstream(config)];
  const users = await checkUsers(config);
  if (users) checks.push(users);
  for (const p of config.users.sso.providers) checks.push(await checkProvider(p));
  return { lines: checks.map((c) => c.line), failed: checks.some((c) => c.failed) };
}

/** Any HTTP answer means the upstream is reachable (with upstream.tls, through the proxy's own TLS settings). */
async function checkUpstream(config: GatewayConfig): Promise<Check> {
  const tls = loadUpstreamTls(config.upstream);
  const dispatcher = new Agent(tls ? { connect: tlsConnector(tls).connect } : {});
  try {
    return await httpCheck('upstream', config.upstream.url, 'HEAD', { dispatcher });
  } finally {
    await dispatcher.close();
  }
}

/**
 * The users source: the upstream directory gets one request without a credential (as the probe
 * sends them: any HTTP answer, a 401 most likely, says it is there); a users file must parse.
 */
async function checkUsers(config: GatewayConfig): Promise<Check | undefined> {
  const u = config.users;
  if (u.source === 'upstream') return httpCheck('users', userProbeUrl(config.upstream.url, u.path), u.method, { what: 'upstream probe ' });
  if (u.source !== 'file') return undefined;
  try {
    const users = await FileUserSource.fromYaml(readFileSync(u.file, 'utf8'), u.file);
    return { line: `users: ok (file ${u.file}, ${users.size} users)`, failed: false };
  } catch (err) {
    return { line: `users: FAILED (file ${u.file}): ${messageOf(err).split('\n').join('; ')}`, failed: true };
  }
}

/**
 * OIDC: the discovery document must answer 2xx (the first sign-in reads it); SAML: the IdP's SSO
 * URL must answer at all (without a SAMLRequest an IdP may well say 400).
 */
function checkProvider(p: SsoProviderConfig): Promise<Check> {
  if (p.type === 'oidc') {
    return httpCheck(`sso ${p.name}`, `${p.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, 'GET', { what: 'discovery ', need2xx: true });
  }
  if (p.entryPoint === undefined) return Promise.resolve({ line: `sso ${p.name}: ok (SSO URL from ${p.idpMetadataFile!}, checked above)`, failed: false });
  return httpCheck(`sso ${p.name}`, p.entryPoint, 'GET', { what: 'SSO URL ' });
}

/** One request; `need2xx`: a non-2xx answer fails too. The line never shows a password in a URL. */
async function httpCheck(name: string, url: string, method: Dispatcher.HttpMethod, o: { dispatcher?: Dispatcher; what?: string; need2xx?: boolean } = {}): Promise<Check> {
  const where = `${o.what ?? ''}${method === 'HEAD' ? '' : `${method} `}${redactUrl(url)}`;
  try {
    const r = await request(url, { method, headersTimeout: 10_000, bodyTimeout: 10_000, ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}) });
    await r.body.dump();
    const failed = o.need2xx === true && (r.statusCode < 200 || r.statusCode > 299);
    return { line: `${name}: ${failed ? 'FAILED' : 'ok'} (${where}, HTTP ${r.statusCode})`, failed };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { line: `${name}: FAILED (${where}): ${messageOf(cause)}`, failed: true };
  }
}

async function checkStore(config: GatewayConfig): Promise<Check> {
  const s = config.store;
  const where = s.type === 'sqlite' ? `sqlite ${s.path}` : `redis ${s.url === undefined ? '(sentinel or cluster)' : redactUrl(s.url)}`;
  try {
    // Redis: gives up after store.connectWaitSeconds with one line naming the address.
    const store = await openStore(config, createLogger('silent'));
    await store.close();
    return { line: `store: ok (${where})`, failed: false };
  } catch (err) {
    return { line: `store: FAILED (${where}): ${messageOf(err)}`, failed: true };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
