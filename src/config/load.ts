import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configSchema, type GatewayConfig } from './schema.js';

/** The config file used when neither --config nor HLGW_CONFIG names one. */
export const DEFAULT_CONFIG_PATH = 'config/gateway.yaml';

/** Every problem found in a config file, each with its key path. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly { path: string; message: string }[]) {
    super(problems.map((p) => `config error: ${p.path || '(root)'}: ${p.message} (in ${source})`).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Picks the file: explicit path, then HLGW_CONFIG, then config/gateway.yaml when present,
 * else the embedded defaults (source `<defaults>`).
 */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (explicit) return explicit;
  if (env.HLGW_CONFIG) return env.HLGW_CONFIG;
  return existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined;
}

export function loadConfigFile(path: string | undefined, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  if (path === undefined) return parseConfig({}, '<defaults>', env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  return parseConfig(doc.toJS() ?? {}, path, env);
}

/** Validates a plain object (after ${ENV} interpolation), applies defaults and freezes the result. */
export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: { path: string; message: string }[] = [];
  const interpolated = interpolate(raw, [], env, problems);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ path: issue.path.join('.'), message: describe(issue) });
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

function describe(issue: { code: string; message: string; keys?: string[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

/** `${NAME}` and `${NAME:-fallback}` in string values; an unset variable without fallback is an error. */
function interpolate(value: unknown, path: (string | number)[], env: NodeJS.ProcessEnv, problems: { path: string; message: string }[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path: path.join('.'), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, problems));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...path, k], env, problems);
    return out;
  }
  return value;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
