// bench/RESULTS.md: generated sections between markers are replaced; everything else (the
// hand-written analysis) is kept as is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RESULTS_MD = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

const TEMPLATE = `# hlgw benchmark results

Produced by \`npm run bench\` (bench/run.mjs). The sections between the \`<!-- ...:start -->\` and
\`<!-- ...:end -->\` markers are rewritten by the bench; the rest of this file is written by hand.

<!-- table:start -->
<!-- table:end -->

<!-- profile:start -->
<!-- profile:end -->
`;

/** Replaces the `name` section of bench/RESULTS.md with `body`. */
export function writeSection(name, body, file = RESULTS_MD) {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : TEMPLATE;
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(start) || !text.includes(end)) text = `${text.trimEnd()}\n\n${start}\n${end}\n`;
  const i = text.indexOf(start) + start.length;
  const j = text.indexOf(end);
  writeFileSync(file, `${text.slice(0, i)}\n${body.trim()}\n${text.slice(j)}`);
}
