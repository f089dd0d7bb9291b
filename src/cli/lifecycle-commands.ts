import type { Command } from 'commander';
import { registerHashPasswordCommand } from './hash-password-command.js';
import { registerKeysCommand } from './keys-command.js';
import { processIo, type CliIo } from './io.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerPortfolioCommands } from './portfolio-commands.js';
import { registerTokenCommands } from './token-commands.js';

/**
 * The token-lifecycle commands. `token` and `policy` talk to a running gateway over HTTP
 * (server URL and login from flags or HLGW_URL / HLGW_LOGIN; the password from HLGW_PASSWORD
 * or a prompt, never a flag), so everything the endpoints do can be scripted.
 */
export function registerLifecycleCommands(program: Command, io: CliIo = processIo): void {
  registerTokenCommands(program, io);
  registerPolicyCommands(program, io);
  registerPortfolioCommands(program, io);
  registerHashPasswordCommand(program, io);
  registerKeysCommand(program, io);
}
