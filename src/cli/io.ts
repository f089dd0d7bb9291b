export { CliError } from './cli-error.js';
import { readSecretFromStdin } from './prompt-secret.js';

/** What the CLI commands touch outside themselves: injected, so tests run them in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** One secret line: prompted without echo on a terminal, else the next line of stdin; `envVar` is named when there is none. */
  readSecret(prompt: string, envVar?: string): Promise<string>;
  /** True when readSecret talks to a person (then a new secret is asked twice). */
  interactive: boolean;
}

export const processIo: CliIo = {
  env: process.env,
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  readSecret: readSecretFromStdin,
  interactive: Boolean(process.stdin.isTTY),
};
