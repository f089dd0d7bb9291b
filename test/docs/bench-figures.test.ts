import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A number in a document is data (docs/STYLE habit 21). Two rules:
 * (a) every generated section (`<!-- name:start -->` ... `<!-- name:end -->`) of README.md,
 *     bench/RESULTS.md and docs/*.md is exactly what `node bench/render-docs.mjs` renders from the
 *     committed results files bench/results/latest-node<major>.json (the `profile` section, made by
 *     `npm run bench -- --profile` from .cpuprofile files that are not committed, is left out);
 * (b) outside generated sections, a performance figure in README.md or docs/**\/*.md, that is a
 *     number followed by req/s, µs, ns, MiB, MB or ×, sits in a block that names the command that
 *     produced it (`npm run bench`, `node bench/...`, `node --expose-gc bench/...`). A block is a
 *     paragraph, a list item (with its continuation lines), a table or a fenced code block; a
 *     table may also be named by the paragraph right above it (its caption).
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const RENDER = join(ROOT, 'bench', 'render-docs.mjs');

const FIGURE = /(?<![\w.,])\d[\d,]*(?:\.\d+)?\s?(?:req\/s|µs|ns|MiB|MB|×)(?!\w)/g;
const UNIT = /req\/s|µs|\bns\b|MiB|\bMB\b|×/;
const COMMAND = /npm run bench|node (?:--[\w-]+ )*bench\//;
const SECTION_START = /^<!-- ([\w:-]+):start -->$/;

interface Block { kind: 'paragraph' | 'item' | 'table' | 'code' | 'heading'; first: number; lines: string[] }

/** Markdown outside generated sections, cut into blocks (1-based line numbers). */
function blocks(text: string): Block[] {
  const out: Block[] = [];
  let cur: Block | undefined;
  let inSection: string | undefined;
  const flush = (): void => { if (cur) out.push(cur); cur = undefined; };
  text.split('\n').forEach((line, i) => {
    const n = i + 1;
    if (inSection !== undefined) {
      if (line.trim() === `<!-- ${inSection}:end -->`) inSection = undefined;
      return;
    }
    const start = SECTION_START.exec(line.trim());
    if (start) { flush(); inSection = start[1]; return; }
    if (cur?.kind === 'code') {
      cur.lines.push(line);
      if (/^\s*```/.test(line)) flush();
      return;
    }
    if (line.trim() === '') { flush(); return; }
    const kind: Block['kind'] = /^\s*```/.test(line) ? 'code' : /^\s*\|/.test(line) ? 'table' : /^#/.test(line) ? 'heading'
      : /^\s*(?:[-*]|\d+\.)\s/.test(line) ? 'item' : 'paragraph';
    // A table row continues a table; a new item or a change of kind starts a block; other lines continue.
    if (cur && (kind === 'item' || kind === 'code' || kind === 'heading' || (kind === 'table') !== (cur.kind === 'table'))) flush();
    if (!cur) cur = { kind, first: n, lines: [] };
    cur.lines.push(line);
  });
  flush();
  return out;
}

/** "file:line: figure" for every figure whose block (or a table's caption) names no command. */
function unsourcedFigures(file: string, text: string): string[] {
  const problems: string[] = [];
  const bs = blocks(text);
  bs.forEach((b, k) => {
    const prev = bs[k - 1];
    const caption = b.kind === 'table' && prev?.kind === 'paragraph' && prev.first + prev.lines.length >= b.first - 2 ? prev.lines.join('\n') : '';
    if (COMMAND.test(b.lines.join('\n')) || COMMAND.test(caption)) return;
    const say = (line: number, figure: string): void => {
      problems.push(`${file}:${line}: "${figure}" is quoted without the command that produced it: name \`npm run bench ...\` or \`node bench/...\` in the same paragraph, list item or table (or its caption), or move it into a generated section`);
    };
    b.lines.forEach((line, j) => { for (const m of line.matchAll(FIGURE)) say(b.first + j, m[0]); });
    // A table's numbers under a header that carries the unit ("| median req/s |") are figures too.
    if (b.kind === 'table') {
      const cells = (line: string): string[] => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      const units = cells(b.lines[0] ?? '').map((h) => UNIT.test(h));
      b.lines.slice(2).forEach((line, j) => cells(line).forEach((c, col) => {
        if (units[col] && /\d/.test(c) && c.match(FIGURE) === null) say(b.first + 2 + j, `${c} (${cells(b.lines[0] ?? '')[col]})`);
      }));
    }
  });
  return problems;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : []);
}

async function check(root: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [RENDER, '--check', '--root', root], { cwd: ROOT });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe('figures in the documents come from a results file or name their command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-bench-figures-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('(a) every generated section is what the renderer makes from bench/results/latest-node*.json', async () => {
    const r = await check(ROOT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('(a) fails, naming the file and section, when a figure in a generated section is edited by hand', async () => {
    for (const part of ['README.md', 'bench/RESULTS.md', 'bench/results', 'docs']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
    expect((await check(dir)).code).toBe(0);
    const readme = join(dir, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const start = text.indexOf('<!-- bench:summary:start -->');
    // The first number of a table row inside the section, changed.
    const planted = text.slice(0, start) + text.slice(start).replace(/(\n\| bare-undici \| )([\d,]+)/, '$19,999,999');
    expect(planted).not.toBe(text);
    writeFileSync(readme, planted);
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^README\.md:\d+: section "bench:summary" differs/m);
  });

  it('(b) no performance figure outside a generated section without its command', () => {
    const problems = ['README.md', ...markdownFiles('docs')].flatMap((f) => unsourcedFigures(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  it.each([
    ['a paragraph', 'Intro.\n\nThe gateway does 12,345 req/s on one core.\n', 3, '12,345 req/s'],
    ['a list item', '- fast: 7.5 µs per hit\n- named: 3 µs (`npm run bench`)\n', 1, '7.5 µs'],
    ['a table without a caption', 'Text.\n\n| row | × |\n| --- | --- |\n| a | 0.81 × |\n', 5, '0.81 ×'],
    ['a memory figure', 'Per 100,000 tokens: 58 MiB.\n', 1, '58 MiB'],
    ['a table cell under a header with the unit', 'Text.\n\n| row | median req/s |\n| --- | ---: |\n| gateway | 9,650 |\n', 5, '9,650 (median req/s)'],
  ])('(b) fails on a figure planted in %s, with the file, line and figure', (_, text, line, figure) => {
    expect(unsourcedFigures('docs/PLANTED.md', text)).toEqual([expect.stringContaining(`docs/PLANTED.md:${line}: "${figure}"`)]);
  });

  it.each([
    ['its paragraph names npm run bench', 'Measured with `npm run bench -- --rows x`: 12,345 req/s.\n'],
    ['its list item names a bench script', '- 85 bytes, 80 MiB per million (`node --expose-gc bench/micro/revoked-set-memory.mjs`)\n'],
    ['its table has a caption naming the command', 'From `node bench/redis-costs.mjs`:\n\n| x | y |\n| --- | --- |\n| a | 0.44 MB/s |\n'],
    ['it sits in a generated section', '<!-- bench:summary:start -->\n12,345 req/s\n<!-- bench:summary:end -->\n'],
    ['it is not a performance figure', 'Tokens live 90 days; `durationMinutes × 60`; 10 ms timeout; version 5.9.5.\n'],
  ])('(b) passes when %s', (_, text) => {
    expect(unsourcedFigures('docs/OK.md', text)).toEqual([]);
  });
});
