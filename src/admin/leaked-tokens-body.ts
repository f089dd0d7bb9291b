import type { IncomingMessage } from 'node:http';
import { readFields } from '../endpoints/read-body.js';
import { GatewayError } from '../errors.js';
import { TOKEN_MAX_CHARS } from '../token/scanner-pattern.js';

/** At most this many tokens per report. */
export const LEAK_REPORT_MAX_TOKENS = 1000;
/** The body of the largest report: every token as long as the format allows, quoted, with commas. */
const BODY_MAX_BYTES = 64 + LEAK_REPORT_MAX_TOKENS * (TOKEN_MAX_CHARS + 3);

/**
 * The operator's leak report, `{"tokens":["hlgw_...", ...]}`: 1 to LEAK_REPORT_MAX_TOKENS strings,
 * each at most as long as a token can be. Anything else is 400 validation_failed, naming the
 * index, never the value (it may be a live token).
 */
export async function readLeakedTokens(req: IncomingMessage): Promise<string[]> {
  const { tokens } = await readFields(req, BODY_MAX_BYTES, ['json']);
  if (!Array.isArray(tokens) || tokens.length === 0 || tokens.length > LEAK_REPORT_MAX_TOKENS) {
    throw new GatewayError('validation_failed', `tokens: expected an array of 1 to ${LEAK_REPORT_MAX_TOKENS} strings`);
  }
  tokens.forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > TOKEN_MAX_CHARS) {
      throw new GatewayError('validation_failed', `tokens[${i}]: expected a string of 1 to ${TOKEN_MAX_CHARS} characters`);
    }
  });
  return tokens as string[];
}
