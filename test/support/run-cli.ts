import { spawn } from 'node:child_process';

/** The `hlgw` bin as users run it: the compiled dist/cli.js (npm test builds it first). */
export const CLI = 'dist/cli.js';

/**
 * `node dist/cli.js <args>` without blocking this process's event loop (the servers the test
 * started keep answering). `stdin` is piped then closed; nothing given: an empty stdin, as in a
 * pipeline or a CI job, so a secret it would read is not there.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
