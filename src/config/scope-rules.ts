/**
 * Operator-defined token scopes (`tokens.scopes`): each a list of rules `{methods, paths}`. A path
 * pattern is a list of segments, each an exact segment, `*` (any one segment) or, last only, `**`
 * (whatever remains, nothing included). Parsed once at config load into plain arrays; the gateway
 * matches them segment by segment (src/token/scopes.ts), never through a regex built from config.
 */

/** One compiled path segment: an exact segment, or a wildcard. */
export type PathSegment = string | typeof ONE_SEGMENT | typeof REST;
export const ONE_SEGMENT = Symbol('*');
export const REST = Symbol('**');

export interface CompiledRule {
  readonly methods: readonly string[];
  readonly paths: readonly (readonly PathSegment[])[];
}

/** The scopes every gateway knows; operators cannot redefine them. */
export const BUILT_IN_SCOPES = ['read', 'full'] as const;

export const SCOPE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const METHOD_RE = /^[A-Z]{1,20}$/;
/** RFC 3986 pchar without `%` (an exact segment names the decoded-free spelling) and without `*`. */
const SEGMENT_RE = /^[A-Za-z0-9._~!$&'()+,;=:@-]{1,200}$/;

/**
 * Parses one path pattern; returns the problem as a sentence when it is not one. `/` alone is the
 * root path; every other pattern is `/seg/seg...` without an empty, `.` or `..` segment.
 */
export function parsePathPattern(pattern: string): readonly PathSegment[] | string {
  if (!pattern.startsWith('/')) return `"${pattern}": a path pattern starts with /`;
  if (pattern === '/') return [];
  const parts = pattern.slice(1).split('/');
  const out: PathSegment[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '**') {
      if (i !== parts.length - 1) return `"${pattern}": ** may only be the last segment`;
      out.push(REST);
    } else if (p === '*') out.push(ONE_SEGMENT);
    else if (p === '.' || p === '..') return `"${pattern}": no . or .. segments`;
    else if (!SEGMENT_RE.test(p)) return `"${pattern}": segment "${p}" must be *, ** or an exact segment of letters, digits and -._~!$&'()+,;=:@ (no %, no empty segment)`;
    else out.push(p);
  }
  return out;
}

export function isMethodName(m: string): boolean {
  return METHOD_RE.test(m);
}
