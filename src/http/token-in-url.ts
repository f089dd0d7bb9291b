/**
 * RFC 6750 §5.3: a bearer token must not travel in a URL (it ends up in logs, histories and
 * Referer headers); the gateway refuses any request whose URL names an `access_token`
 * parameter (§2.3), however the upstream's framework would spell it.
 *
 * What counts as that name is decided the way lenient servers read it, since the upstream is
 * not ours to know: percent-decoded to a fixed point (some stacks decode again, and again; IIS
 * and old ASP also read `%uXXXX`), `+` as a space, any case (with Unicode folding as Java's
 * equalsIgnoreCase does: `ſ` is s, the Kelvin sign is k), `-` and `_` alike (as oauth2-proxy
 * compares header names; frameworks that map parameters to identifiers do the same), `;` as a
 * separator like `&` (matrix parameters, old CGI), PHP's name mangling (`.`, space, `[` become
 * `_`, leading spaces dropped, `name[]` is an array of that name), and a trailing NUL.
 */

/**
 * The hot path's pre-check, one native regex scan of what follows the first `?` or `;`: any
 * spelling of the name has to contain "tok" literally or hide a letter behind `%` or a non-ASCII
 * character. Most URLs fail it and cost no splitting or decoding. (A hand-written loop over the
 * names only measured about twice as slow as this scan.)
 */
const MAY_NAME_TOKEN = /tok|[%\u0080-\uffff]/i;
const MAY_NAME_TOKEN_FROM = /tok|[%\u0080-\uffff]/gi;
/** A separator, then a name (up to `=` or the next separator) holding such a hint. */
const A_NAME_MAY_BE_TOKEN = /[?;&][^=&;?]*?(?:tok|[%\u0080-\uffff])/gi;
const SEPARATOR = /[&;?]/;
const ACCESS_TOKEN = /^access[-_. +[]token(?:$|\[|[\s\0])/;
/** Decoding stops at a fixed point or after this many rounds (each round at least shortens the name). */
const MAX_DECODE_ROUNDS = 8;
const PERCENT_U = /%u([0-9a-f]{4})/gi;
const LATIN1_HIGH = /[\u0080-\u00ff]/;
const WIDE = /[\u0100-\uffff]/;

export function hasTokenInUrl(url: string): boolean {
  const q = url.indexOf('?');
  const semi = url.indexOf(';');
  if (q === -1 && semi === -1) return false;
  const start = (q === -1 ? semi : semi === -1 ? q : Math.min(q, semi)) + 1;
  MAY_NAME_TOKEN_FROM.lastIndex = start;
  if (!MAY_NAME_TOKEN_FROM.test(url)) return false;
  // The hint may sit in a value (`?q=a%20b`): look at the names alone before splitting anything.
  A_NAME_MAY_BE_TOKEN.lastIndex = start - 1;
  if (!A_NAME_MAY_BE_TOKEN.test(url)) return false;
  for (const part of url.slice(start).split(SEPARATOR)) {
    const eq = part.indexOf('=');
    if (namesAccessToken(eq === -1 ? part : part.slice(0, eq))) return true;
  }
  return false;
}

function namesAccessToken(raw: string): boolean {
  if (raw.length < 12 || !MAY_NAME_TOKEN.test(raw)) return false;
  let name = raw.replace(/\+/g, ' ');
  for (let round = 0; round < MAX_DECODE_ROUNDS && name.includes('%'); round++) {
    const next = percentDecode(name);
    if (next === name) break;
    name = next;
  }
  // Raw or byte-wise decoded UTF-8 arrives as one char per byte: read it as UTF-8 as a server would.
  if (LATIN1_HIGH.test(name) && !WIDE.test(name)) name = Buffer.from(name, 'latin1').toString('utf8');
  // Upper then lower: folds ſ → S → s and K (Kelvin) → k like Java's equalsIgnoreCase.
  return ACCESS_TOKEN.test(name.toUpperCase().toLowerCase().trimStart());
}

/**
 * One round: `%uXXXX` as that UTF-16 unit, then UTF-8 when the escapes form it, else byte by
 * byte (a broken escape must not hide the rest).
 */
function percentDecode(raw: string): string {
  const s = raw.includes('%u') || raw.includes('%U') ? raw.replace(PERCENT_U, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))) : raw;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}
