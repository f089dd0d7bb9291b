import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ERROR_SPECS } from '../../src/http/error-responses.js';

/** Every error code is mapped to HTTP in one table and documented in docs/ERRORS.md with the same status. */
describe('error registry', () => {
  const doc = readFileSync('docs/ERRORS.md', 'utf8');
  const documented = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) documented.set(m[1]!, Number(m[2]));

  it.each([...ERROR_CODES])('%s is mapped and documented with its status', (code) => {
    const spec = ERROR_SPECS[code];
    expect(spec).toBeDefined();
    expect(documented.get(code)).toBe(spec.status);
  });

  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) expect(ERROR_CODES).toContain(code);
  });

  it('every Bearer-path code answers with an RFC 6750 challenge', () => {
    for (const code of ERROR_CODES.filter((c) => c.startsWith('token_') && c !== 'token_store_stale')) {
      expect(ERROR_SPECS[code].oauth, code).toBeDefined();
    }
  });
});
