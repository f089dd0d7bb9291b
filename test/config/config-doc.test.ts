import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc } from '../../src/config/config-doc.js';

describe('docs/CONFIG.md', () => {
  it('is what the schema generates (regenerate: npm run build && node dist/config/config-doc.js > docs/CONFIG.md)', () => {
    expect(readFileSync('docs/CONFIG.md', 'utf8')).toBe(renderConfigDoc(readFileSync('src/config/schema.ts', 'utf8')));
  });

  it('names every key with its type, default and the comment written above it', () => {
    const doc = renderConfigDoc(readFileSync('src/config/schema.ts', 'utf8'));
    expect(doc).toContain('| `server.port` | number | `8080` | Proxy port; 0 picks a free one (tests). |');
    expect(doc).toContain('| `upstream.tls.rejectUnauthorized` | boolean | `true` |');
    expect(doc).toMatch(/\| `store\.url \(type: redis\)` \| string \| {2}\| /);
    expect(doc).toContain('| `portfolios.allowed` |');
  });
});
