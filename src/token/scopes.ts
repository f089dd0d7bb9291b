import { BUILT_IN_SCOPES, ONE_SEGMENT, REST, parsePathPattern, type CompiledRule, type PathSegment } from '../config/scope-rules.js';

/**
 * What a token's scopes let it do at the gateway. Built once per verified token (the validator's
 * cache miss) and cached with it: a hit costs a method compare and a segment-by-segment match of
 * the path, and allocates nothing. `full` has no checker at all (the hot path skips the step).
 */
export interface ScopeChecker {
  allows(method: string | undefined, url: string): boolean;
}

/** `read`: GET, HEAD and OPTIONS, any path (RFC 9110 §9.2.1 safe methods that can carry no change). */
const READ_RULE: Rule = { methods: ['GET', 'HEAD', 'OPTIONS'], paths: [], anyPath: true };

/** `anyPath`: the built-in `read`, whatever the path (a read cannot change anything, however the path resolves). */
type Rule = CompiledRule & { anyPath?: boolean };

/** Every scope the gateway knows (built-in and `tokens.scopes`), compiled once at start. */
export class ScopeCatalog {
  private readonly rules = new Map<string, readonly Rule[]>();

  constructor(configured: Readonly<Record<string, readonly { methods: readonly string[]; paths: readonly string[] }[]>>) {
    this.rules.set('read', [READ_RULE]);
    for (const [name, rules] of Object.entries(configured)) {
      this.rules.set(name, rules.map((r) => ({ methods: r.methods, paths: r.paths.map(compiled) })));
    }
  }

  /** Every scope name, built-in first. */
  get names(): string[] {
    return [...BUILT_IN_SCOPES, ...[...this.rules.keys()].filter((n) => n !== 'read')];
  }

  has(name: string): boolean {
    return name === 'full' || this.rules.has(name);
  }

  /**
   * The checker of a token's scope set; undefined when it includes `full`. A scope the config no
   * longer defines allows nothing (the token keeps what its other scopes allow).
   */
  checker(scopes: readonly string[]): ScopeChecker | undefined {
    if (scopes.includes('full')) return undefined;
    const rules = scopes.flatMap((s) => this.rules.get(s) ?? []);
    return { allows: (method, url) => allowedBy(rules, method, url) };
  }

  /** The scopes that would allow this request (the `scope` of an insufficient_scope challenge), `full` last. */
  allowing(method: string | undefined, url: string): string[] {
    const out: string[] = [];
    for (const [name, rules] of this.rules) if (allowedBy(rules, method, url)) out.push(name);
    out.push('full');
    return out;
  }
}

function compiled(pattern: string): readonly PathSegment[] {
  const p = parsePathPattern(pattern);
  // The config schema refused every bad pattern before this runs.
  if (typeof p === 'string') throw new Error(`tokens.scopes: ${p}`);
  return p;
}

function allowedBy(rules: readonly Rule[], method: string | undefined, url: string): boolean {
  if (method === undefined) return false;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (!r.methods.includes(method)) continue;
    if (r.anyPath === true) return true;
    for (let j = 0; j < r.paths.length; j++) if (pathMatches(r.paths[j]!, url)) return true;
  }
  return false;
}

/**
 * Matches the path of `url` (origin-form; the query is ignored) against a pattern, segment by
 * segment, without splitting or decoding. Fails closed on what an upstream could resolve to another
 * path: a `.` or `..` segment (also percent-encoded), and in a wildcard segment an encoded `/` or `\`.
 */
function pathMatches(pattern: readonly PathSegment[], url: string): boolean {
  let end = url.indexOf('?');
  if (end < 0) end = url.length;
  if (url.charCodeAt(0) !== 47 /* / */) return false;
  let pos = 1;
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i]!;
    if (seg === REST) return restIsPlain(url, pos, end);
    if (pos > end) return false;
    let next = url.indexOf('/', pos);
    if (next < 0 || next > end) next = end;
    if (seg === ONE_SEGMENT) {
      if (next === pos || !wildcardSafe(url, pos, next)) return false;
    } else if (next - pos !== seg.length || !url.startsWith(seg, pos)) return false;
    pos = next + 1;
  }
  // Every segment matched: the path must end exactly here (`/` alone matches the empty pattern).
  return pos === end + 1 || (pattern.length === 0 && end === 1);
}

/** The segments from `pos` to `end` are all safe for a wildcard (`**` covers them). */
function restIsPlain(url: string, pos: number, end: number): boolean {
  while (pos <= end) {
    let next = url.indexOf('/', pos);
    if (next < 0 || next > end) next = end;
    if (!wildcardSafe(url, pos, next)) return false;
    pos = next + 1;
  }
  return true;
}

/** Not a dot segment (RFC 3986 §5.2.4, any spelling), no encoded `/` or `\`, no raw `\`. */
function wildcardSafe(url: string, from: number, to: number): boolean {
  let dots = true;
  for (let k = from; k < to; k++) {
    const c = url.charCodeAt(k);
    if (c === 92 /* \ */) return false;
    if (c === 37 /* % */) {
      const a = url.charCodeAt(k + 1);
      const b = url.charCodeAt(k + 2) | 0x20;
      if (a === 50 /* 2 */ && (b === 101 /* e */ || b === 102 /* f */)) { if (b === 102) return false; k += 2; continue; }
      if (a === 53 /* 5 */ && b === 99 /* c */) return false;
      dots = false;
    } else if (c !== 46 /* . */) dots = false;
  }
  // Empty segments (`//`) are plain; `.`, `..` and their encodings are not.
  return !(dots && to > from && to - from <= 6);
}
