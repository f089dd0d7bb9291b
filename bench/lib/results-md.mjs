// Generated sections of bench/RESULTS.md, README.md and docs/: the text between
// `<!-- name:start -->` and `<!-- name:end -->` is replaced; everything else (hand-written) is kept.
// Every section except `profile` (written by `--profile` from .cpuprofile files) is rendered from
// the committed results files bench/results/latest-node<major>.json: the newest of them for the
// run's own sections, all of them for `node-versions`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderNodeVersions, renderScaling, renderSummary, renderTable, renderTargets, renderWays } from './render.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_MD = join(ROOT, 'bench/RESULTS.md');
const LATEST = /^latest-node(\d+)\.json$/;

const TEMPLATE = `# hlgw benchmark results

Produced by \`npm run bench\` (bench/run.mjs). The sections between the \`<!-- ...:start -->\` and
\`<!-- ...:end -->\` markers are rewritten by the bench; the rest of this file is written by hand.
`;

/** Where each generated section lives and how it is rendered from (newest record, all records by major). */
const SECTIONS = [
  { file: 'bench/RESULTS.md', name: 'table', render: (rec) => renderTable(rec) },
  { file: 'bench/RESULTS.md', name: 'targets', render: (rec) => renderTargets(rec) },
  { file: 'bench/RESULTS.md', name: 'node-versions', render: (_, all) => renderNodeVersions(all) },
  { file: 'README.md', name: 'bench:summary', render: (rec) => renderSummary(rec) },
  { file: 'docs/SCALING.md', name: 'bench:scaling', render: (rec) => renderScaling(rec) },
  { file: 'docs/OPERATIONS.md', name: 'bench:ways', render: (rec) => renderWays(rec) },
];

/** Sections written by something other than a results file (kept out of the check). */
const NOT_FROM_RESULTS = ['profile'];

const markers = (name) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];

/** `text` with the `name` section's body replaced (the markers appended at the end when missing). */
function replaceSection(text, name, body) {
  const [start, end] = markers(name);
  if (!text.includes(start) || !text.includes(end)) text = `${text.trimEnd()}\n\n${start}\n${end}\n`;
  const i = text.indexOf(start) + start.length;
  const j = text.indexOf(end);
  return `${text.slice(0, i)}\n${body.trim()}\n${text.slice(j)}`;
}

/** Replaces the `name` section of bench/RESULTS.md (or `file`) with `body`. */
export function writeSection(name, body, file = RESULTS_MD) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : TEMPLATE;
  writeFileSync(file, replaceSection(text, name, body));
}

/** The committed results files, oldest Node major first: [{ major, file, record }]. */
function latestResults(root = ROOT) {
  const dir = join(root, 'bench/results');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => LATEST.test(f))
    .map((f) => ({ major: Number(LATEST.exec(f)[1]), file: join(dir, f), record: JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
    .sort((a, b) => a.major - b.major);
}

/** Every generated section as the renderer makes it: [{ file (relative), name, body }]. */
function renderSections(root = ROOT) {
  const all = latestResults(root);
  if (all.length === 0) throw new Error('no bench/results/latest-node<major>.json: run `npm run bench` (full) first');
  const newest = all.reduce((a, b) => (b.record.date > a.record.date ? b : a)).record;
  return SECTIONS.map((s) => ({ file: s.file, name: s.name, body: s.render(newest, all.map((x) => x.record)).trim() }));
}

/** Rewrites every generated section from the committed results files. */
export function writeSections(root = ROOT) {
  for (const s of renderSections(root)) {
    const file = join(root, s.file);
    writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), s.name, s.body));
  }
}

/** The body of every `<!-- name:start -->` ... `<!-- name:end -->` section of `text`: Map(name → { body, line }). */
function readSections(text) {
  const found = new Map();
  const re = /<!-- ([\w:-]+):start -->/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const end = text.indexOf(`<!-- ${m[1]}:end -->`, m.index);
    const line = text.slice(0, m.index).split('\n').length;
    found.set(m[1], { body: end < 0 ? null : text.slice(m.index + m[0].length, end).trim(), line });
  }
  return found;
}

/** Differences between the files and what the renderer makes: [message] (empty when all agree). */
export function checkSections(root = ROOT) {
  const problems = [];
  const expected = renderSections(root);
  const files = [...new Set([...expected.map((s) => s.file), ...docFiles(root)])];
  for (const file of files) {
    const found = readSections(readFileSync(join(root, file), 'utf8'));
    for (const [name, { body, line }] of found) {
      if (NOT_FROM_RESULTS.includes(name)) continue;
      const want = expected.find((s) => s.file === file && s.name === name);
      if (!want) problems.push(`${file}:${line}: section "${name}" is not one the bench renders (bench/lib/results-md.mjs SECTIONS)`);
      else if (body !== want.body) problems.push(`${file}:${line}: section "${name}" differs from what \`node bench/render-docs.mjs\` renders from bench/results/latest-node*.json`);
    }
    for (const s of expected) if (s.file === file && !found.has(s.name)) problems.push(`${file}: section "${s.name}" is missing (markers <!-- ${s.name}:start/end -->)`);
  }
  return problems;
}

/** README.md and the Markdown files of docs/ (where generated sections may also live). */
function docFiles(root) {
  const walk = (dir) => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : []);
  return ['README.md', 'bench/RESULTS.md', ...walk('docs')];
}
