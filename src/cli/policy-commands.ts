import type { Command } from 'commander';
import { ApiClient, withConnectionFlags, type ConnectionFlags } from './api-client.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './io.js';

interface SetFlags extends ConnectionFlags {
  enable?: boolean;
  disable?: boolean;
  duration?: string;
  passphrase?: boolean;
}

/** `hlgw policy get|set <companyId>`: a portfolio's token policy (portfolio managers). */
export function registerPolicyCommands(program: Command, io: CliIo): void {
  const policy = program.command('policy').description('Show or change a portfolio\'s token policy (portfolio managers).');

  withConnectionFlags(policy.command('get'))
    .description('Show the policy: enabled, duration, whether a pass phrase is set (never the pass phrase).')
    .argument('<companyId>')
    .action(async (companyId: string, o: ConnectionFlags) => {
      const api = await ApiClient.connect(o, io);
      io.out(`${JSON.stringify(await api.send('GET', policyPath(companyId)), null, 2)}\n`);
    });

  withConnectionFlags(policy.command('set'))
    .description('Change the policy. Disabling, re-enabling or a new pass phrase voids every token of the portfolio.')
    .argument('<companyId>')
    .option('--enable', 'switch user tokens on')
    .option('--disable', 'switch user tokens off')
    .option('--duration <minutes>', 'token duration in minutes (1 to 1000000)')
    .option('--passphrase', 'set a new pass phrase: read from HLGW_PASSPHRASE, else prompted (never a flag value)')
    .addHelpText('after', PASSPHRASE_HELP)
    .action(async (companyId: string, o: SetFlags) => {
      if (o.enable && o.disable) throw new CliError('--enable and --disable together make no sense');
      const body: Record<string, unknown> = {};
      if (o.enable) body.enabled = true;
      if (o.disable) body.enabled = false;
      if (o.duration !== undefined) {
        if (!/^[0-9]+$/.test(o.duration)) throw new CliError('--duration: expected a whole number of minutes');
        body.durationMinutes = Number(o.duration);
      }
      if (Object.keys(body).length === 0 && !o.passphrase) throw new CliError('nothing to change: give --enable, --disable, --duration or --passphrase');
      const api = await ApiClient.connect(o, io);
      if (o.passphrase) body.passphrase = await newPassphrase(io);
      io.out(`${JSON.stringify(await api.send('PUT', policyPath(companyId), body), null, 2)}\n`);
    });
}

function policyPath(companyId: string): string {
  return `/portfolios/${encodeURIComponent(companyId)}/token-policy`;
}

const PASSPHRASE_HELP = `
The pass phrase (--passphrase) is read from HLGW_PASSPHRASE, else from stdin:
  on a terminal it is asked twice ("Repeat the pass phrase to confirm"): it is typed unseen, and a
  typo would void every token of the portfolio for a pass phrase nobody knows;
  from a pipe or a script (not a terminal) it is read once, one line: a script does not mistype.
`;

/** HLGW_PASSPHRASE; else one line of stdin; on a terminal, typed twice (PASSPHRASE_HELP says why). */
async function newPassphrase(io: CliIo): Promise<string> {
  if (io.env.HLGW_PASSPHRASE) return io.env.HLGW_PASSPHRASE;
  const first = await io.readSecret('New pass phrase (10 to 255 characters): ', 'HLGW_PASSPHRASE');
  if (io.interactive && (await io.readSecret('Repeat the pass phrase to confirm: ')) !== first) throw new CliError('the pass phrases differ: nothing changed');
  return first;
}
