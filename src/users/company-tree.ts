/**
 * The portfolio tree: companies with a parent; a company with no parent is a root,
 * and each root is a portfolio. The root's pass phrase and duration cover every company under
 * it; tokens are sealed with the root's key (TokenState resolves a company to its root), while
 * the claims and identity headers keep the user's own company. A company the tree does not name
 * is its own root, so single-company configs work unchanged.
 */
export interface CompanyNode {
  id: string;
  name: string;
  parent?: string | undefined;
}

export class CompanyTree {
  private readonly parentOf: ReadonlyMap<string, string>;
  private readonly childrenOf = new Map<string, string[]>();
  private readonly ids = new Set<string>();

  /**
   * Throws a list of problems (unknown parent, a cycle, a duplicate id) with their positions.
   * `alsoNamed`: companies the file names otherwise (its users' companies): placed by the file
   * too, as roots unless `nodes` gives them a parent, so nothing learned can move them.
   */
  constructor(readonly nodes: readonly CompanyNode[] = [], alsoNamed: Iterable<string> = []) {
    const problems: { path: string; message: string }[] = [];
    const ids = this.ids;
    nodes.forEach((n, i) => {
      if (ids.has(n.id)) problems.push({ path: `companies.${i}.id`, message: 'duplicate company id' });
      ids.add(n.id);
    });
    const parentOf = new Map<string, string>();
    nodes.forEach((n, i) => {
      if (n.parent === undefined) return;
      if (!ids.has(n.parent)) problems.push({ path: `companies.${i}.parent`, message: 'unknown parent company' });
      parentOf.set(n.id, n.parent);
      this.childrenOf.set(n.parent, [...(this.childrenOf.get(n.parent) ?? []), n.id]);
    });
    nodes.forEach((n, i) => {
      const seen = new Set<string>([n.id]);
      for (let c = parentOf.get(n.id); c !== undefined; c = parentOf.get(c)) {
        if (seen.has(c)) { problems.push({ path: `companies.${i}.parent`, message: 'the parents form a cycle' }); break; }
        seen.add(c);
      }
    });
    if (problems.length > 0) throw new CompanyTreeError(problems);
    for (const id of alsoNamed) ids.add(id);
    this.parentOf = parentOf;
  }

  /** The portfolio a company belongs to; itself when it has no parent or is unknown. */
  rootOf(companyId: string): string {
    let c = companyId;
    for (let p = this.parentOf.get(c); p !== undefined; p = this.parentOf.get(c)) c = p;
    return c;
  }

  isRoot(companyId: string): boolean {
    return !this.parentOf.has(companyId);
  }

  /** Whether the file names this company, under `companies` or as a user's (then its place here wins over anything learned). */
  has(companyId: string): boolean {
    return this.ids.has(companyId);
  }

  /** The parent the file gives; undefined for a root or a company the file does not name. */
  parentIn(companyId: string): string | undefined {
    return this.parentOf.get(companyId);
  }

  childrenIn(companyId: string): readonly string[] {
    return this.childrenOf.get(companyId) ?? [];
  }

  /** Every company the file names (`nodes` and the users' companies). */
  named(): string[] {
    return [...this.ids];
  }

  /** `companyId` and every company below it. */
  subtree(companyId: string): string[] {
    const out = [companyId];
    for (let i = 0; i < out.length; i++) out.push(...(this.childrenOf.get(out[i]!) ?? []));
    return out;
  }

  contains(ancestor: string, companyId: string): boolean {
    for (let c: string | undefined = companyId; c !== undefined; c = this.parentOf.get(c)) if (c === ancestor) return true;
    return false;
  }
}

export class CompanyTreeError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'CompanyTreeError';
  }
}
