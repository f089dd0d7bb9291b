import type { CompanyEdge, CompanyEdgeWrite } from '../store/types.js';
import type { CompanyTree } from '../users/company-tree.js';

/**
 * Who may place companies: the upstream probe (`users.pointers.ancestors`), or one identity
 * provider (`sso:<name>`). The users file is not one: its companies are placed by the file.
 */
export type PlacementSource = 'upstream' | `sso:${string}`;

/** What placedBy answers for a company the users file names. */
export const PLACED_BY_FILE = 'users file';

/** A learned edge written before sources were recorded: the upstream probe's (no identity provider may move it). */
const LEGACY_SOURCE: PlacementSource = 'upstream';

/** A claim that would move a company another source placed (never applied). */
export interface PlacementConflict {
  companyId: string;
  /** The parent the claim gives (null: a root) and the one in force. */
  claimed: string | null;
  current: string | null;
  placedBy: string;
}

/** A walk up never takes more steps than this, whatever the store holds (a corrupted one must not loop the request path). */
const MAX_HOPS = 1024;

/**
 * The portfolio tree in force: the users file's `companies` (authoritative for every
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
    const ids = new Set<string>(this.file()?.named() ?? []);
    for (const e of this.learned.values()) {
      ids.add(e.companyId);
      if (e.parent !== null) ids.add(e.parent);
    }
    return [...ids];
  }

  /** Who placed a company: PLACED_BY_FILE, the learned edge's source, or undefined when nobody did. */
  placedBy(companyId: string): string | undefined {
    if (this.file()?.has(companyId)) return PLACED_BY_FILE;
    const e = this.learned.get(companyId);
    return e === undefined ? undefined : e.placedBy ?? LEGACY_SOURCE;
  }

  /** The company's ancestors now, root first (bounded like rootOf). */
  ancestorsOf(companyId: string): string[] {
    const out: string[] = [];
    for (let p = this.parentOf(companyId); p !== undefined && out.length < MAX_HOPS; p = this.parentOf(p)) out.unshift(p);
    return out;
  }

  /**
   * The first company of a sign-in's chain (ancestors from the root down, then the company) whose
   * place `source` would change although another source set it: the users file, or another
   * source's learned edge. A claim that agrees with the place in force is no conflict.
   */
  conflictIn(source: PlacementSource, companyId: string, ancestors: readonly string[]): PlacementConflict | undefined {
    const chain = [...ancestors, companyId];
    for (const [i, c] of chain.entries()) {
      const by = this.placedBy(c);
      if (by === undefined || by === source) continue;
      const claimed = i === 0 ? null : chain[i - 1]!;
      const current = this.parentOf(c) ?? null;
      if (claimed !== current) return { companyId: c, claimed, current, placedBy: by };
    }
    return undefined;
  }

  /** Each company's root now (a snapshot; compare two to find what a change reparented). */
  roots(companies: Iterable<string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of companies) out.set(c, this.rootOf(c));
    return out;
  }

  /**
   * The edges `source`'s chain (ancestors from the root down, then the company) writes, after
   * conflictIn found none: none for the companies the users file names, none where a learned edge
   * already gives that parent. A company seen for the first time is written even as a root, so
   * that it is recorded as `source`'s and no other source can move it. Empty: nothing to write.
   */
  changesFor(source: PlacementSource, companyId: string, ancestors: readonly string[]): CompanyEdgeWrite[] {
    const chain = [...ancestors, companyId];
    const f = this.file();
    return chain
      .map((c, i) => ({ companyId: c, parent: i === 0 ? null : chain[i - 1]!, placedBy: source }))
      .filter((e) => {
        if (f?.has(e.companyId)) return false;
        const cur = this.learned.get(e.companyId);
        return cur === undefined || cur.parent !== e.parent;
      });
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
