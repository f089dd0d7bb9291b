import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { hasArray, isGatewayError, isObject, requestJson } from './http-json.js';
import type { CliIo } from './io.js';
import { table } from './token-commands.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9464';

interface OperatorFlags {
  adminUrl?: string;
  tokenFile?: string;
}

interface AccessView { companyId: string; allowed: boolean; source: string }

/**
 * `hlgw portfolios allow|deny|list`: the operator's switch per portfolio, through the operator
 * API on the admin port. The secret comes from HLGW_OPERATOR_TOKEN or --token-file, never a flag value.
 */
export function registerPortfolioCommands(program: Command, io: CliIo): void {
  const portfolios = program
    .command('portfolios')
    .description('Allow or deny portfolios the use of user tokens, at runtime (operator API on the admin port).');

  const withFlags = (cmd: Command) => cmd
    .option('--admin-url <url>', `admin port URL (env HLGW_ADMIN_URL, default ${DEFAULT_ADMIN_URL})`)
    .option('--token-file <file>', 'file holding the operator secret (else env HLGW_OPERATOR_TOKEN)');

  withFlags(portfolios.command('list'))
    .description('Portfolios with a decision or in the config\'s seed list, and whether each is allowed.')
    .option('--json', 'print JSON instead of a table')
    .action(async (o: OperatorFlags & { json?: boolean }) => {
      const r = await operatorCall(o, io, 'GET', '/portfolios', hasArray('portfolios'), 'a portfolio list') as { seed: string; portfolios: AccessView[] };
      if (o.json) return io.out(`${JSON.stringify(r, null, 2)}\n`);
      io.out(table(['PORTFOLIO', 'ALLOWED', 'DECIDED BY'], r.portfolios.map((p) => [p.companyId, p.allowed ? 'yes' : 'no', p.source])));
      if (r.seed === '*') io.out('every other portfolio: allowed (portfolios.allowed: "*")\n');
    });

  withFlags(portfolios.command('allow'))
    .description('Allow a portfolio: its managers may then switch user tokens on.')
    .argument('<companyId>')
    .action(async (companyId: string, o: OperatorFlags) => {
      await operatorCall(o, io, 'PUT', allowedPath(companyId), isObject, 'a portfolio');
      io.out(`allowed ${companyId}\n`);
    });

  withFlags(portfolios.command('deny'))
    .description('Deny a portfolio: every token of it stops working at once, on every instance, and stays void.')
    .argument('<companyId>')
    .action(async (companyId: string, o: OperatorFlags) => {
      await operatorCall(o, io, 'DELETE', allowedPath(companyId), isObject, 'a portfolio');
      io.out(`denied ${companyId} (its tokens are void)\n`);
    });
}

/** The admin port's bare 404 (no `code`): the operator API is not configured there. */
const operatorApiOff = (body: unknown): string | undefined => (isGatewayError(body) ? undefined
  : 'the operator API is off: set admin.operatorToken in the gateway\'s config and restart it (or --admin-url / HLGW_ADMIN_URL is not its admin port)');

function allowedPath(companyId: string): string {
  return `/portfolios/${encodeURIComponent(companyId)}/allowed`;
}

function operatorCall<T>(o: OperatorFlags, io: CliIo, method: string, path: string, isExpected: (v: unknown) => v is T, what: string): Promise<T> {
  const base = (o.adminUrl ?? io.env.HLGW_ADMIN_URL ?? DEFAULT_ADMIN_URL).replace(/(?<!\/)\/+$/, '');
  if (!URL.canParse(base) || !/^https?:/.test(base)) throw new CliError(`not an http(s) URL: ${base}`);
  let secret = io.env.HLGW_OPERATOR_TOKEN;
  if (o.tokenFile) {
    try {
      secret = readFileSync(o.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`cannot read ${o.tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (!secret) throw new CliError('no operator secret: set HLGW_OPERATOR_TOKEN or pass --token-file');
  return requestJson(base + path, { method, headers: { authorization: `Bearer ${secret}`, accept: 'application/json' } }, isExpected, what, operatorApiOff);
}
