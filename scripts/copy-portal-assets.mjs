// Copies the portal's static files (html, css) next to its compiled modules: tsc only emits .js.
// Run by `npm run build`; the gateway serves dist/portal/web/ (src/portal/static-assets.ts).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const from = new URL('../src/portal/web/', import.meta.url);
const to = new URL('../dist/portal/web/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (name.endsWith('.html') || name.endsWith('.css') || name.endsWith('.svg')) copyFileSync(new URL(name, from), new URL(name, to));
}
