import type { Command } from 'commander';
import { isGatewayError, isObject, requestJson, type NotFoundHint } from './http-json.js';
import { CliError, type CliIo } from './io.js';

const DEFAULT_URL = 'http://127.0.0.1:8080';
const DEFAULT_PREFIX = '/auth';

export interface ConnectionFlags {
  url?: string;
  login?: string;
  prefix?: string;
}

/** Adds the flags every command talking to a running gateway shares. */
export function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--url <url>', `gateway URL (env HLGW_URL, default ${DEFAULT_URL})`)
    .option('--login <login>', 'login for Basic authentication (env HLGW_LOGIN); the password comes from HLGW_PASSWORD or a prompt')
    .option('--prefix <path>', `endpoint prefix (default ${DEFAULT_PREFIX})`);
}

/** A tiny client for the gateway's /auth endpoints, authenticating with Basic. */
export class ApiClient {
  private constructor(private readonly base: string, private readonly hint404: NotFoundHint, private readonly authorization: string) {}

  static async connect(flags: ConnectionFlags, io: CliIo): Promise<ApiClient> {
    const url = (flags.url ?? io.env.HLGW_URL ?? DEFAULT_URL).replace(/(?<!\/)\/+$/, '');
    if (!URL.canParse(url) || !/^https?:/.test(url)) throw new CliError(`not an http(s) URL: ${url}`);
    const login = flags.login ?? io.env.HLGW_LOGIN;
    if (!login) throw new CliError('no login: pass --login or set HLGW_LOGIN');
    const password = io.env.HLGW_PASSWORD ?? (await io.readSecret(`Password for ${login}: `, 'HLGW_PASSWORD'));
    const prefix = flags.prefix ?? DEFAULT_PREFIX;
    return new ApiClient(url + prefix, notFoundHint(url, prefix), 'Basic ' + Buffer.from(`${login}:${password}`, 'utf8').toString('base64'));
  }

  /** JSON in, JSON out; a failure or an answer of another shape becomes one CliError line. */
  async send<T = Record<string, unknown>>(method: string, path: string, body?: unknown, isExpected: (v: unknown) => v is T = isObject as (v: unknown) => v is T, what = 'a JSON object'): Promise<T> {
    return requestJson(this.base + path, {
      method,
      headers: { authorization: this.authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }, isExpected, what, this.hint404);
  }
}

/** What to change when a 404 is not an endpoint's own answer: the prefix given twice, or not the proxy port. */
function notFoundHint(url: string, prefix: string): NotFoundHint {
  if (prefix !== '' && new URL(url).pathname.endsWith(prefix)) {
    const hint = `--url ends in ${prefix}, which the CLI adds itself: give the gateway's base URL (${url.slice(0, -prefix.length)})`;
    return () => hint;
  }
  const hint = `no hlgw endpoints here: --url (HLGW_URL) must be the gateway's proxy port, not the admin port, and --prefix its endpoint prefix (default ${DEFAULT_PREFIX})`;
  return (body) => (isGatewayError(body) ? undefined : hint);
}
