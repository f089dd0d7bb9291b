import type { Command } from 'commander';
import { isObject, requestJson } from './http-json.js';
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
  private constructor(private readonly base: string, private readonly authorization: string) {}

  static async connect(flags: ConnectionFlags, io: CliIo): Promise<ApiClient> {
    const url = (flags.url ?? io.env.HLGW_URL ?? DEFAULT_URL).replace(/(?<!\/)\/+$/, '');
    if (!URL.canParse(url) || !/^https?:/.test(url)) throw new CliError(`not an http(s) URL: ${url}`);
    const login = flags.login ?? io.env.HLGW_LOGIN;
    if (!login) throw new CliError('no login: pass --login or set HLGW_LOGIN');
    const password = io.env.HLGW_PASSWORD ?? (await io.readSecret(`Password for ${login}: `));
    const prefix = flags.prefix ?? DEFAULT_PREFIX;
    return new ApiClient(url + prefix, 'Basic ' + Buffer.from(`${login}:${password}`, 'utf8').toString('base64'));
  }

  /** JSON in, JSON out; a failure or an answer of another shape becomes one CliError line. */
  async send<T = Record<string, unknown>>(method: string, path: string, body?: unknown, isExpected: (v: unknown) => v is T = isObject as (v: unknown) => v is T, what = 'a JSON object'): Promise<T> {
    return requestJson(this.base + path, {
      method,
      headers: { authorization: this.authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }, isExpected, what);
  }
}
