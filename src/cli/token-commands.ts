import type { Command } from 'commander';
import { ApiClient, withConnectionFlags, type ConnectionFlags } from './api-client.js';
import { CliError } from './cli-error.js';
import { hasArray, hasString } from './http-json.js';
import type { CliIo } from './io.js';

interface TokenView {
  token_id: string; user_id: string; login: string; created_at: string; expires_at: string; last_used_at: string | null; status: string;
  revoked_reason?: string | null; signed_in_with?: string; name?: string; scopes?: string[];
}

/** `hlgw token create|list|revoke`: the token endpoints, from a shell. */
export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('Create, list and revoke personal and named tokens on a running gateway.');

  withConnectionFlags(token.command('create'))
    .description('Create (or renew) your personal token, or with --name a named token with its scopes. Prints the token response as JSON.')
    .option('--name <name>', 'a named token beside the personal one (1-100 printable characters)')
    .option('--scope <scope>', 'with --name: a scope (read, full, or one of the gateway\'s tokens.scopes); repeat for more', (v: string, all: string[]) => [...all, v], [])
    .option('--validity <minutes>', 'validity in minutes (capped by the portfolio\'s duration)')
    .option('--token-only', 'print only the token (for TOKEN=$(hlgw token create --token-only))')
    .action(async (o: ConnectionFlags & { name?: string; scope: string[]; validity?: string; tokenOnly?: boolean }) => {
      if (o.validity !== undefined && !/^[0-9]+$/.test(o.validity)) throw new CliError('--validity: expected a whole number of minutes');
      if (o.name === undefined && o.scope.length > 0) throw new CliError('--scope: only with --name (the personal token has every scope)');
      if (o.name !== undefined && o.scope.length === 0) throw new CliError('--name: give at least one --scope (e.g. --scope read)');
      const api = await ApiClient.connect(o, io);
      const r = o.name === undefined
        ? await api.send('POST', `/oauth/authorize${o.validity === undefined ? '' : `?validity=${o.validity}`}`, undefined, hasString('access_token'), 'a token response with access_token')
        : await api.send('POST', '/tokens', { name: o.name, scopes: o.scope, ...(o.validity === undefined ? {} : { validityMinutes: Number(o.validity) }) }, hasString('access_token'), 'a token response with access_token');
      io.out(o.tokenOnly ? `${r.access_token}\n` : `${JSON.stringify(r, null, 2)}\n`);
    });

  withConnectionFlags(token.command('list'))
    .description('List tokens: every token of the portfolio for a portfolio manager, your own otherwise.')
    .option('--json', 'print JSON instead of a table')
    .action(async (o: ConnectionFlags & { json?: boolean }) => {
      const api = await ApiClient.connect(o, io);
      const { tokens } = (await api.send('GET', '/tokens', undefined, hasArray('tokens'), 'a token list')) as { tokens: TokenView[] };
      if (o.json) return io.out(`${JSON.stringify(tokens, null, 2)}\n`);
      // Why a token stopped working (renewed, revoked, its pass phrase changed...) is what a user asks first.
      io.out(table(['TOKEN ID', 'NAME', 'SCOPES', 'STATUS', 'LOGIN', 'SIGNED IN WITH', 'EXPIRES', 'LAST USED'],
        tokens.map((t) => [
          t.token_id, oneLine(t.name ?? 'personal'), (t.scopes ?? ['full']).join(','), statusOf(t),
          t.login, t.signed_in_with ?? 'password', t.expires_at, t.last_used_at ?? '-',
        ])));
    });

  withConnectionFlags(token.command('revoke'))
    .description('Revoke a token by its id (yours, or any of your portfolio as its manager).')
    .argument('<tokenId>', 'the token_id shown by `hlgw token list`')
    .action(async (tokenId: string, o: ConnectionFlags) => {
      const api = await ApiClient.connect(o, io);
      await api.send('DELETE', `/tokens/${encodeURIComponent(tokenId)}`);
      io.out(`revoked ${tokenId}\n`);
    });
}

/** `revoked (renewed)`, `revoked (passphrase_changed)`...; a plain revocation is `revoked`, not `revoked (revoked)`. */
function statusOf(t: TokenView): string {
  return t.revoked_reason && t.revoked_reason !== t.status ? `${t.status} (${t.revoked_reason})` : t.status;
}

/** Names are printable (the gateway refuses controls); a terminal still gets no escape sequence from one. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
