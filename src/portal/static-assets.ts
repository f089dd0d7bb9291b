import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  type: string;
  body: Buffer;
}

/** The page's files by name (`index.html`, `main.js`...). */
export type StaticAssets = ReadonlyMap<string, Asset>;

/**
 * Where the built page is: dist/portal/web (tsc compiles the modules, scripts/finish-build.mjs
 * copies html and css). Running from src/ (the tests), that is ../../dist/portal/web.
 */
function webDir(): string {
  const candidates = [new URL('./web/', import.meta.url), new URL('../../dist/portal/web/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'main.js'))) ?? candidates[0]!;
}

/**
 * Reads every file of the page once, at start-up: requests are answered from memory by exact
 * name, so no request path ever reaches the file system (no traversal to worry about).
 * Source maps and declaration files are left out.
 */
export function loadStaticAssets(dir: string = webDir()): StaticAssets {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets; // not built: the router answers 404 and the start-up log says why
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined || name.endsWith('.d.ts')) continue;
    assets.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return assets;
}
