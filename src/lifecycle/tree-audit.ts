import { GatewayError } from '../errors.js';
import type { AuditEvent, AuditStore } from '../store/types.js';
import { COMPANY_ID_RE } from '../token/format.js';

export type ListedEvent = AuditEvent & { id: number };

/**
 * One page of the audit trails of several companies (a manager's sub-tree), newest
 * first. Each company's trail is its own list with its own ids (Redis numbers them per portfolio),
 * so the page is a k-way merge by time and the cursor holds a position per company:
 * `acme.120~acme-eu.0` (`0`: that trail is exhausted; a company absent from the cursor was not on
 * the earlier pages, e.g. it joined the tree since, and is listed from its newest event). With one
 * company the cursor is the plain id it always was.
 */
export async function listTreeAudit(
  store: Pick<AuditStore, 'listAudit'>, companies: readonly string[], opts: { limit: number; cursor: string | null },
): Promise<{ events: ListedEvent[]; next: string | null }> {
  const single = companies.length === 1 && (opts.cursor === null || /^[0-9]+$/.test(opts.cursor));
  if (single) {
    const before = opts.cursor === null ? undefined : intCursor(opts.cursor);
    const page = await store.listAudit(companies[0]!, { limit: opts.limit, ...(before !== undefined ? { before } : {}) });
    return { events: page.events, next: page.next === null ? null : String(page.next) };
  }
  const position = parseCursor(opts.cursor, companies[0]!);
  const live = companies.filter((c) => position.get(c) !== 0);
  const pages = await Promise.all(live.map(async (c) => {
    const before = position.get(c);
    return { company: c, ...(await store.listAudit(c, { limit: opts.limit, ...(before !== undefined ? { before } : {}) })) };
  }));
  const heads = pages.map(() => 0);
  const events: ListedEvent[] = [];
  while (events.length < opts.limit) {
    let best = -1;
    for (let i = 0; i < pages.length; i++) {
      const e = pages[i]!.events[heads[i]!];
      if (e === undefined) continue;
      const b = best < 0 ? undefined : pages[best]!.events[heads[best]!]!;
      if (b === undefined || e.at > b.at || (e.at === b.at && pages[i]!.company < pages[best]!.company)) best = i;
    }
    if (best < 0) break;
    events.push(pages[best]!.events[heads[best]!++]!);
  }
  const next = new Map(position);
  let more = false;
  pages.forEach((p, i) => {
    const taken = heads[i]!;
    const exhausted = taken === p.events.length && p.next === null;
    if (exhausted) next.set(p.company, 0);
    else {
      more = true;
      if (taken > 0) next.set(p.company, p.events[taken - 1]!.id);
    }
  });
  const cursor = [...next].filter(([c]) => companies.includes(c)).map(([c, id]) => `${c}.${id}`).join('~');
  return { events, next: more ? cursor : null };
}

function intCursor(v: string): number {
  const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= Number.MAX_SAFE_INTEGER)) throw new GatewayError('validation_failed', `cursor: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

/** A plain id is the caller's own company's position (a page listed before the tree grew). */
function parseCursor(v: string | null, own: string): Map<string, number> {
  const out = new Map<string, number>();
  if (v === null) return out;
  if (/^[0-9]+$/.test(v)) return out.set(own, intCursor(v));
  const parts = v.split('~');
  if (parts.length > 10_000) throw bad();
  for (const part of parts) {
    const dot = part.lastIndexOf('.');
    const c = part.slice(0, dot);
    const id = part.slice(dot + 1);
    if (dot < 0 || !COMPANY_ID_RE.test(c) || !/^[0-9]{1,16}$/.test(id) || !Number.isSafeInteger(Number(id))) throw bad();
    out.set(c, Number(id));
  }
  return out;
}

function bad(): GatewayError {
  return new GatewayError('validation_failed', 'cursor: expected the next_cursor of a previous page');
}
