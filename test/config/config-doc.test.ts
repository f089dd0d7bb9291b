import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc } from '../../scripts/config-doc.js';

describe('docs/CONFIG.md', () => {
  it('is what the schema generates (regenerate: npx vitest run test/config/config-doc.test.ts --update)', async () => {
    await expect(renderConfigDoc(readFileSync('src/config/schema.ts', 'utf8'))).toMatchFileSnapshot('../../docs/CONFIG.md');
  });

  it('names every key with its type, default and the comment written above it', () => {
    const doc = renderConfigDoc(readFileSync('src/config/schema.ts', 'utf8'));
    expect(doc).toContain('| `server.port` | number | `8080` | Proxy port; 0 picks a free one (tests). |');
    expect(doc).toContain('| `upstream.tls.rejectUnauthorized` | boolean | `true` |');
    expect(doc).toMatch(/\| `store\.url \(type: redis\)` \| string \| {2}\| /);
    expect(doc).toContain('| `portfolios.allowed` |');
  });
});
