import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const text = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
/** Instructions, continuation lines joined, comments dropped. */
const lines = text.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const args = new Map(lines.filter((l) => l.startsWith('ARG ')).map((l) => {
  const [name, value = ''] = l.slice(4).split('=', 2);
  return [name!.trim(), value.trim()] as const;
}));
const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_m, n: string) => args.get(n) ?? '');

describe('Dockerfile', () => {
  it('pins every base image by digest, on Node 24 (the active LTS)', () => {
    const froms = lines.filter((l) => l.startsWith('FROM ')).map((l) => expand(l.split(/\s+/)[1]!));
    expect(froms).toHaveLength(2);
    for (const image of froms) expect(image).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
  });

  it('checks health with `hlgw healthcheck` (readiness on the configured admin address), no port written in', () => {
    const health = lines.filter((l) => l.startsWith('HEALTHCHECK '));
    expect(health).toHaveLength(1);
    const cmd = JSON.parse(health[0]!.slice(health[0]!.indexOf('CMD ') + 4)) as string[];
    expect(cmd).toEqual(['node', 'dist/cli.js', 'healthcheck']);
    expect(health[0]).not.toMatch(/9464|healthz|readyz/);
  });

  it('serves the config HLGW_CONFIG names, a file the image carries; the healthcheck reads the same variable', () => {
    const env = lines.filter((l) => l.startsWith('ENV ')).join(' ');
    const config = /HLGW_CONFIG=(\S+)/.exec(env)?.[1];
    expect(config).toBeDefined();
    expect(existsSync(resolve(ROOT, config!))).toBe(true);
    expect(lines.some((l) => l === 'COPY config ./config')).toBe(true);
    expect(JSON.parse(lines.filter((l) => l.startsWith('CMD ')).at(-1)!.slice(4))).toEqual(['serve']);
  });

  it('.dockerignore keeps local dependencies, builds, state, history and test output out of the context', () => {
    const ignored = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', 'data', 'dist', '.git', 'bench/results', 'test-artifacts', 'coverage']) expect(ignored).toContain(entry);
    // Nothing the Dockerfile copies from the context is ignored.
    const copied = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const path of copied) expect(ignored.some((i) => path === i || path.startsWith(`${i}/`)), path).toBe(false);
  });
});
