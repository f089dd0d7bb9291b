import type { Command } from 'commander';
import { hashPassword } from '../users/password-hash.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './io.js';

/** `hlgw hash-password`: a passwordHash for the users file (users.source: file). */
export function registerHashPasswordCommand(program: Command, io: CliIo): void {
  program
    .command('hash-password')
    .description('Read a password from stdin (not echoed on a terminal) and print its scrypt hash for the users file.')
    .addHelpText('after', '\nExamples:\n  hlgw hash-password                       (prompts)\n  printf \'%s\\n\' "$PW" | hlgw hash-password\n')
    .action(async () => {
      const password = await io.readSecret('Password: ');
      if (password === '') throw new CliError('empty password');
      if (io.interactive && (await io.readSecret('Repeat: ')) !== password) throw new CliError('the passwords differ');
      io.out(`${await hashPassword(password)}\n`);
    });
}
