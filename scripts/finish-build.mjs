// What `npm run build` does after tsc, which only emits .js files with default permissions:
// - copies the portal's static files (html, css, svg) next to its compiled modules (the gateway
//   serves dist/portal/web/, src/portal/static-assets.ts);
// - makes dist/cli.js executable: it is the package's `bin`, run as `npx hlgw` (on a fresh clone
//   tsc writes it 0644, and the shell refuses it: "hlgw: Permission denied").
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const from = new URL('../src/portal/web/', import.meta.url);
const to = new URL('../dist/portal/web/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (name.endsWith('.html') || name.endsWith('.css') || name.endsWith('.svg')) copyFileSync(new URL(name, from), new URL(name, to));
}
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
