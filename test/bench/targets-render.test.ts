import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript (bench/lib/render.mjs), without type declarations.
import { renderTargets } from '../../bench/lib/render.mjs';

/** A results record with just what the Targets section reads: a few rows and their ratios. */
function rec(ratios: Record<string, number>) {
  return {
    date: '2026-12-05T00:00:00.000Z', command: 'npm run bench', versions: { node: 'v24.0.0' },
    options: { rounds: 3, durationS: 3, warmupS: 1, warmupSameLoad: true, connections: 10, quick: false },
    rows: Object.entries(ratios).map(([name, r]) => ({ name, medianRps: 1000 * r, p99Ms: 1, ratio: { 'bare-undici': r } })),
  };
}

function line(md: string, row: string): string {
  return md.split('\n').find((l) => l.startsWith(`| ${row} |`)) ?? '';
}

describe('bench/RESULTS.md "Targets" (bench/lib/render.mjs)', () => {
  it('shows a ratio that two decimals would round onto its limit with three, so a miss never reads as the limit', () => {
    const md = renderTargets(rec({ 'bare-undici': 1, 'gateway-bearer-cold': 0.4984, 'gateway-bearer-10k': 0.8512 }));
    expect(line(md, 'gateway-bearer-cold')).toContain('| 0.498 × bare-undici | missed |');
    // Met and clear at two decimals: unchanged.
    expect(line(md, 'gateway-bearer-10k')).toContain('| 0.85 × bare-undici | met |');
  });

  it('keeps two decimals wherever rounding does not cross the limit', () => {
    const md = renderTargets(rec({ 'bare-undici': 1, 'gateway-bearer-cold': 0.5234, 'gateway-bearer-hot': 0.8312 }));
    expect(line(md, 'gateway-bearer-cold')).toContain('| 0.52 × bare-undici | met |');
    expect(line(md, 'gateway-bearer-hot')).toContain('| 0.83 × bare-undici | missed |');
  });

  it('says the warm-up ran on the same connections for runs that record it', () => {
    expect(renderTargets(rec({ 'bare-undici': 1 }))).toContain('after a 1 s warm-up on the same connections');
  });
});
