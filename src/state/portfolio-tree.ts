import type { CompanyEdge } from '../store/types.js';
import type { CompanyTree } from '../users/company-tree.js';

/** A walk up never takes more steps than this, whatever the store holds (a corrupted one must not loop the request path). */
const MAX_HOPS = 1024;

/**
 * The portfolio tree in force (issue 12): the users file's `companies` (authoritative for every
 * company it names) over the edges learned from sign-ins (the upstream probe's or an SSO claim's
 * ancestors), which the store shares with every instance (StateSync applies them here). A company
 * neither names is its own root.
 *
 * Learned edges cannot form a cycle: a sign-in writes its whole chain (root → … → company) at once,
 * every company in it once, so after the write every company of the chain reaches the chain's root;
 * the file's companies only have file parents. Versions make every instance apply the same last write.
 */
export class PortfolioTree {
  private readonly learned = new Map<string, CompanyEdge>();
  /** parent → learned children (an index of `learned`). */
  private readonly learnedChildren = new Map<string, Set<string>>();

  /** `file` is read on every call: a reloaded users file brings its tree along. */
  constructor(private readonly file: () => CompanyTree | undefined) {}

  parentOf(companyId: string): string | undefined {
    const f = this.file();
    if (f?.has(companyId)) return f.parentIn(companyId);
    return this.learned.get(companyId)?.parent ?? undefined;
  }

  /** The portfolio a company belongs to; itself when it has no parent or is unknown. */
  rootOf(companyId: string): string {
    let c = companyId;
    for (let hops = 0; hops < MAX_HOPS; hops++) {
      const p = this.parentOf(c);
      if (p === undefined) return c;
      c = p;
    }
    return c;
  }

  /** `companyId` and every company below it, by either source. */
  subtree(companyId: string): string[] {
    const out = [companyId];
    const seen = new Set(out);
    for (let i = 0; i < out.length && out.length < 100_000; i++) {
      for (const k of this.childrenOf(out[i]!)) {
        if (!seen.has(k)) {
          seen.add(k);
          out.push(k);
        }
      }
    }
    return out;
  }

  /** Every company either source places somewhere (to compare roots before and after a change). */
  known(): string[] {
    const ids = new Set<string>(this.file()?.nodes.map((n) => n.id) ?? []);
    for (const e of this.learned.values()) {
      ids.add(e.companyId);
      if (e.parent !== null) ids.add(e.parent);
    }
    return [...ids];
  }

  /** Each company's root now (a snapshot; compare two to find what a change reparented). */
  roots(companies: Iterable<string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of companies) out.set(c, this.rootOf(c));
    return out;
  }

  /**
   * The edges a sign-in's chain (ancestors from the root down, then the company) would change:
   * none for the companies the users file names, none where the learned parent is already that
   * one (an unknown company and "a root" are the same). Empty: nothing to write.
   */
  changesFor(companyId: string, ancestors: readonly string[]): { companyId: string; parent: string | null }[] {
    const chain = [...ancestors, companyId];
    const f = this.file();
    return chain
      .map((c, i) => ({ companyId: c, parent: i === 0 ? null : chain[i - 1]! }))
      .filter((e) => !f?.has(e.companyId) && (this.learned.get(e.companyId)?.parent ?? null) !== e.parent);
  }

  /** A learned edge from the store; an older version than the one held is ignored. */
  apply(e: CompanyEdge): void {
    const cur = this.learned.get(e.companyId);
    if (cur && cur.version >= e.version) return;
    if (cur?.parent != null) this.learnedChildren.get(cur.parent)?.delete(e.companyId);
    this.learned.set(e.companyId, e);
    if (e.parent !== null) {
      let set = this.learnedChildren.get(e.parent);
      if (!set) this.learnedChildren.set(e.parent, (set = new Set()));
      set.add(e.companyId);
    }
  }

  private childrenOf(companyId: string): string[] {
    const f = this.file();
    const learned = [...(this.learnedChildren.get(companyId) ?? [])].filter((k) => !f?.has(k));
    return [...(f?.childrenIn(companyId) ?? []), ...learned];
  }
}
