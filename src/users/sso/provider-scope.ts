/**
 * The companies one identity provider may speak for (`users.sso.providers[].companies`, the trust
 * boundary of docs/architecture/identity-sources.md): an entry `acme` is that company; `holding/*` is holding and
 * every company below it. Pure.
 */
export interface ProviderScope {
  exact: ReadonlySet<string>;
  subtrees: ReadonlySet<string>;
}

/** The configured entries; undefined stays undefined (the one-provider default, see outsideScope). */
export function parseScope(entries: readonly string[] | undefined): ProviderScope | undefined {
  if (entries === undefined) return undefined;
  const exact = new Set<string>();
  const subtrees = new Set<string>();
  for (const e of entries) {
    if (e.endsWith('/*')) subtrees.add(e.slice(0, -2));
    else exact.add(e);
  }
  return { exact, subtrees };
}

/** Every company id another provider's entries name (exactly or as a subtree's top). */
export function namedBy(scopes: readonly (ProviderScope | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const s of scopes) for (const c of [...(s?.exact ?? []), ...(s?.subtrees ?? [])]) out.add(c);
  return out;
}

export interface ScopeCheck {
  source: string;
  /** Undefined: no `companies` (one provider): any company that nobody else placed. */
  scope: ProviderScope | undefined;
  /** Companies the other providers' `companies` name: a subtree of this one never reaches them. */
  namedElsewhere: ReadonlySet<string>;
  /** Who placed a company (PortfolioTree.placedBy): the users file, a source, or nobody. */
  placedBy(companyId: string): string | undefined;
}

/**
 * The first company of `chain` (root first, the user's company last: the claim's ancestors, or the
 * tree's when the claim names none) the provider may not speak for; undefined when it may speak for
 * all. With `companies`, a company is in when an entry names it, or when it sits below a `/*`
 * entry in this chain and no other provider's entries name it. Without, a company is in when
 * nobody placed it or this provider did: never a company the users file names.
 */
export function outsideScope(chain: readonly string[], c: ScopeCheck): string | undefined {
  const s = c.scope;
  let belowSubtree = false;
  for (const id of chain) {
    if (s === undefined) {
      const by = c.placedBy(id);
      if (by !== undefined && by !== c.source) return id;
      continue;
    }
    const named = s.exact.has(id) || s.subtrees.has(id);
    if (!named && !(belowSubtree && !c.namedElsewhere.has(id))) return id;
    if (s.subtrees.has(id)) belowSubtree = true;
  }
  return undefined;
}
