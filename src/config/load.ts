import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { describeIssue } from './describe-issue.js';
import { coerceScalar, getAt, interpolate, setAt } from './interpolate.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { configSchema, type GatewayConfig } from './schema.js';

export { ConfigError } from './problems.js';

/** The config file used when neither --config nor HLGW_CONFIG names one. */
export const DEFAULT_CONFIG_PATH = 'config/gateway.yaml';

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
  const { doc, lines } = parseYaml(text, path);
  return parseConfig(doc.toJS() ?? {}, path, env, (p) => positionOf(doc, lines, p));
}

/**
 * YAML text → document; a syntax error stops here with its line and column. Only the first
 * error is reported: the ones after it are nearly always its echoes.
 */
function parseYaml(text: string, source: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    throw new ConfigError(source, [{ path: '', message: `YAML syntax: ${first.message.split('\n')[0]}`, line, col }]);
  }
  return { doc, lines };
}

/** Where the key at `path` (or its nearest existing parent) is written in the file. */
function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]);
    if (n === 0) return undefined;
  }
  return undefined;
}

/**
 * Validates a plain object (after ${ENV} interpolation), applies defaults and freezes the result.
 * Every problem is collected before failing, each with its key path.
 */
export function parseConfig(
  raw: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  where?: (path: readonly PropertyKey[]) => { line: number; col: number } | undefined,
): GatewayConfig {
  const problems: ConfigProblem[] = [];
  const { value: input, origins } = interpolate(raw, env, problems);
  let result = configSchema.safeParse(input);
  // A value read from the environment is a string; where its key wants a number or a boolean
  // (`port: ${HLGW_PORT:-8080}`), read it as YAML would have, then validate again.
  if (!result.success && origins.size > 0) {
    let coerced = false;
    for (const issue of result.error.issues) {
      if (!origins.has(issue.path.join('.'))) continue;
      const c = coerceScalar(getAt(input, issue.path));
      if (c !== undefined) {
        setAt(input, issue.path, c);
        coerced = true;
      }
    }
    if (coerced) result = configSchema.safeParse(input);
  }
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      const vars = origins.get(key);
      const message = describeIssue(configSchema, issue);
      problems.push({
        path: key,
        message: vars ? `environment variable ${vars.join(', ')}: ${message}` : message,
        // An unknown key is pointed at itself, not at the mapping that holds it.
        ...where?.(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path),
      });
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
