import { GatewayError } from '../errors.js';
import type { LeakReports } from '../lifecycle/leak-reports.js';
import type { Logger } from '../log.js';
import type { EndpointHandler } from './context.js';
import { parseGithubKeys, verifyGithubSignature, type GithubKeys } from './github-signature.js';
import { readBody } from './read-body.js';
import { sendJson } from './respond.js';

/** A report larger than this is refused (413) before its signature is checked. */
const REPORT_MAX_BYTES = 1024 * 1024;
/** At most this many matches per report. */
const REPORT_MAX_MATCHES = 1000;

/** One match as GitHub posts it. */
interface Match { token: string; type: unknown; url?: string }

/**
 * `POST {prefix}/leaked-tokens`: GitHub secret scanning's partner endpoint (on when
 * `leaks.github.keysFile` is set). The body is a JSON array of `{token, type, url, source}`,
 * signed by GitHub (src/endpoints/github-signature.ts); a bad or missing signature is 401 and
 * nothing is revoked. Each token is handled as any leak report (src/lifecycle/leak-reports.ts) and
 * answered in GitHub's feedback format, `[{token_raw, token_type, label}]`: `true_positive` for a
 * token of ours (revoked now, or already void), `false_positive` otherwise. The token is echoed
 * because GitHub's format asks for it; the log and the audit never see it.
 */
export function githubLeakedTokensEndpoint(o: { readKeys: () => string; leaks: LeakReports; log: Logger }): EndpointHandler {
  return async (x) => {
    const keyId = x.req.headers['github-public-key-identifier'];
    const signature = x.req.headers['github-public-key-signature'];
    if (typeof keyId !== 'string' || typeof signature !== 'string') throw new GatewayError('leak_report_signature_invalid');
    const body = await readBody(x.req, REPORT_MAX_BYTES);
    if (!verifyGithubSignature(keys(o), keyId, signature, body)) throw new GatewayError('leak_report_signature_invalid');
    const matches = parseMatches(body);
    const results = await o.leaks.report(matches.map((m) => m.token), { via: 'github', clientAddress: x.address, urls: matches.map((m) => m.url) });
    sendJson(x.res, 200, matches.map((m, i) => ({
      token_raw: m.token, token_type: m.type, label: results[i]!.result === 'not_ours' ? 'false_positive' : 'true_positive',
    })));
  };
}

/** Read on every report: a key GitHub rotated in is used as soon as the file has it. */
function keys(o: { readKeys: () => string; log: Logger }): GithubKeys {
  try {
    return parseGithubKeys(o.readKeys());
  } catch (err) {
    o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'leaks.github.keysFile cannot be used: GitHub leak reports are refused');
    throw new GatewayError('leak_report_keys_unavailable');
  }
}

function parseMatches(body: Buffer): Match[] {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('validation_failed', 'body: not valid JSON');
  }
  if (!Array.isArray(v) || v.length > REPORT_MAX_MATCHES) throw new GatewayError('validation_failed', `body: expected an array of at most ${REPORT_MAX_MATCHES} matches`);
  return v.map((m: unknown, i) => {
    const { token, type, url } = (m ?? {}) as { token?: unknown; type?: unknown; url?: unknown };
    if (typeof token !== 'string') throw new GatewayError('validation_failed', `[${i}].token: expected a string`);
    return { token, type, ...(typeof url === 'string' ? { url } : {}) };
  });
}
