import { ConfigError } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';

/** admin.operatorToken → the secret (from the environment or a file), or undefined: operator API off. */
export function resolveOperatorSecret(config: GatewayConfig, env: NodeJS.ProcessEnv, readFile: (path: string) => string): string | undefined {
  const t = config.admin.operatorToken;
  if (!t) return undefined;
  let secret: string | undefined;
  let problem: string | undefined;
  if ('fromEnv' in t) {
    secret = env[t.fromEnv];
    if (!secret) problem = `environment variable ${t.fromEnv} is not set`;
  } else {
    try {
      secret = readFile(t.file).trim();
    } catch (err) {
      problem = `cannot read ${t.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  if (!problem && secret !== undefined && secret.length < 32) problem = 'the operator secret must be at least 32 characters (e.g. `openssl rand -base64 32`)';
  if (problem) throw new ConfigError('<admin.operatorToken>', [{ path: 'admin.operatorToken', message: problem }]);
  return secret;
}

/** identity.upstreamAuthorization → the service credential sent upstream instead of the client's, or undefined. */
export function resolveServiceAuthorization(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  const ua = config.identity.upstreamAuthorization;
  if (ua === 'none') return undefined;
  const value = env[ua.fromEnv];
  if (!value) {
    throw new ConfigError('<environment>', [
      { path: 'identity.upstreamAuthorization.fromEnv', message: `environment variable ${ua.fromEnv} is not set` },
    ]);
  }
  return value;
}
