import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  status: number | null;
  /** stdout and stderr together: promtool writes its findings to either, depending on the command. */
  output: string;
}

/**
 * Runs Debian's `promtool` (package `prometheus`, provided by test/support/system-tools.ts) with
 * `args`, feeding `stdin` when given. Bounded: a stuck promtool fails the test after 30 s.
 */
export function promtool(args: string[], stdin?: string): PromtoolResult {
  const r = spawnSync('promtool', args, { input: stdin, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
