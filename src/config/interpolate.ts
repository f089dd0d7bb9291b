import type { ConfigProblem } from './problems.js';

/** Where `${VAR}` filled a value: key path (dot-joined) → the variable names used there. */
export type EnvOrigins = Map<string, string[]>;

/** A fallback may hold `$` but not `${`: so a `${` never rescans the rest of the string (linear). */
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^}$]|\$(?!\{))*))?\}/g;

/**
 * `${NAME}` and `${NAME:-fallback}` in string values; an unset variable without fallback is an
 * error naming the key. The result is still all strings: `coerceFromEnv` turns a value that came
 * from the environment into the number or boolean its key expects, once the schema says so.
 */
export function interpolate(raw: unknown, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): { value: unknown; origins: EnvOrigins } {
  const origins: EnvOrigins = new Map();
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const names: string[] = [];
      const out = value.replace(REF, (_m, name: string, fallback: string | undefined) => {
        names.push(name);
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (fallback !== undefined) return fallback;
        problems.push({ path: path.join('.'), message: `environment variable ${name} is not set` });
        return '';
      });
      if (names.length > 0) origins.set(path.join('.'), names);
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };
  return { value: walk(raw, []), origins };
}

/**
 * A string from the environment where the schema wanted something else: the number or boolean
 * it spells (YAML would have read `8080` or `true` as such), else undefined (the error stands).
 */
export function coerceScalar(s: unknown): number | boolean | undefined {
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(t)) return Number(t);
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  return undefined;
}

/** Replaces the value at `path` inside plain objects/arrays built by `interpolate`. */
export function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  let node = root as Record<PropertyKey, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<PropertyKey, unknown>;
  node[path[path.length - 1]!] = value;
}

export function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root as Record<PropertyKey, unknown> | undefined;
  for (const k of path) node = node?.[k] as Record<PropertyKey, unknown> | undefined;
  return node;
}
