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

  const doc = renderConfigDoc(readFileSync('src/config/schema.ts', 'utf8'), readFileSync('src/config/sso-schema.ts', 'utf8'));
  const rows = doc.split('\n').filter((l) => l.startsWith('| `')).map((l) => {
    const [key, type, dflt, description] = l.slice(2, -2).split(/(?<!\\) \| /);
    return { key: key!.replace(/`/g, ''), type: type!, dflt: dflt!, description: description! };
  });

  it('gives every key a type and a description', () => {
    expect(rows.length).toBeGreaterThan(100);
    for (const r of rows) {
      expect(r.type.trim(), r.key).not.toBe('');
      expect(r.description.trim(), r.key).not.toBe('');
    }
  });

  it('gives each SSO provider key its own row, per provider type, with its default', () => {
    const sso = rows.filter((r) => r.key.startsWith('users.sso.providers[]'));
    for (const key of ['issuer', 'clientId', 'clientSecretFromEnv', 'idTokenAlgorithm', 'scopes', 'claims.userId', 'claims.login', 'publicUrl']) {
      expect(sso.map((r) => r.key), key).toContain(`users.sso.providers[].${key} (type: oidc)`);
    }
    for (const key of ['entryPoint', 'idpIssuer', 'idpCertFile', 'idpMetadataFile', 'attributes.groups', 'clockSkewSeconds']) {
      expect(sso.map((r) => r.key), key).toContain(`users.sso.providers[].${key} (type: saml)`);
    }
    expect(sso.find((r) => r.key === 'users.sso.providers[].idTokenAlgorithm (type: oidc)')!.dflt).toBe('`"RS256"`');
    // users.sso is the same under every users.source: documented once.
    expect(rows.filter((r) => r.key.startsWith('users.sso.only'))).toHaveLength(1);
  });

  it('says what the code does: users.file is re-read on SIGHUP; identity.upstream names all three modes', () => {
    const file = rows.find((r) => r.key === 'users.file (source: file)')!.description;
    expect(file).toContain('again on SIGHUP');
    expect(file).not.toContain('read once');
    const upstream = rows.find((r) => r.key === 'identity.upstream')!.description;
    for (const mode of ['basic', 'headers', 'assertion']) expect(upstream).toContain(`\`${mode}\`:`);
  });
});
