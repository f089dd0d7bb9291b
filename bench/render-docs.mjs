// `node bench/render-docs.mjs`: rewrites every generated section of bench/RESULTS.md, README.md and
// docs/ from the committed results files bench/results/latest-node<major>.json (a full
// `npm run bench` does it by itself). `--check`: changes nothing, lists every section that differs
// from what the renderer makes (exit 1), as test/docs/bench-figures.test.ts runs it. `--root DIR`:
// another checkout (the test's planted copies).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSections, writeSections } from './lib/results-md.mjs';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, root: { type: 'string' } } });
const root = values.root ? resolve(values.root) : undefined;
try {
  if (values.check) {
    const problems = checkSections(root);
    for (const p of problems) process.stderr.write(`${p}\n`);
    if (problems.length > 0) {
      process.stderr.write('re-render with `node bench/render-docs.mjs` (or run `npm run bench` to measure anew)\n');
      process.exit(1);
    }
    process.stdout.write('generated sections agree with bench/results/latest-node*.json\n');
  } else {
    writeSections(root);
    process.stdout.write('generated sections rewritten from bench/results/latest-node*.json\n');
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
