import { readFileSync } from 'node:fs';

/** The version in package.json (src/ and dist/ both sit one level below it); read at start, never per request. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
