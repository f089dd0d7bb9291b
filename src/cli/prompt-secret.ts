import { CliError } from './cli-error.js';

let pipedLines: Promise<string[]> | undefined;

/**
 * Reads one secret from stdin. On a terminal the prompt goes to stderr and nothing typed is
 * echoed (raw mode); piped input is read line by line, so `printf 'pw\n' | hlgw hash-password`
 * and scripts work. A secret is never taken from a command-line flag (it would show in `ps`).
 */
export async function readSecretFromStdin(prompt: string, envVar?: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) return readHidden(prompt);
  pipedLines ??= readAll().then((text) => text.split(/\r?\n/));
  const lines = await pipedLines;
  const line = lines.shift();
  if (line === undefined || (line === '' && lines.length === 0)) {
    // No terminal to prompt on: say how else the secret can be given.
    throw new CliError(`no input on stdin and no terminal to prompt on: ${envVar ? `set ${envVar} or ` : ''}pipe the secret on stdin`);
  }
  return line;
}

function readAll(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.once('error', reject);
  });
}

function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled')); // Ctrl-C
        if (ch === '\u0004') return value === '' ? finish(new CliError('no input')) : finish(); // Ctrl-D
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
