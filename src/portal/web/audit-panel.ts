import { api, describeError } from './api.js';
import { h, on, replace } from './dom.js';
import { shortId, timeOf, when } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';

interface AuditEventView { id: number; company_id: string; at: string; actor: string; action: string; detail: Record<string, unknown>; client_address: string | null }
interface AuditPage { events: AuditEventView[]; next_cursor: string | null }

const ACTIONS: Record<string, string> = {
  'policy.update': 'Changed the token policy',
  'token.issue': 'Generated a token',
  'token.renew': 'Generated a new token (the previous one revoked)',
  'token.revoke': 'Revoked a token',
  'company.reparent': 'Moved the company to another portfolio (its tokens revoked)',
  'session.end': 'Ended a user\'s portal sessions (the user changed or was removed)',
  'company.claim_refused': 'Refused a sign-in that claimed this company (not the source\'s to move or name)',
};

/**
 * The audit trail of the signed-in manager's company and the companies below it (the one the
 * /auth API writes too), newest first, 50 a page; each row names its company.
 */
export function renderAuditPanel(panel: HTMLElement, s: SessionInfo): void {
  const cursors: (string | null)[] = [null]; // cursors[i] fetches page i
  let index = 0;
  const load = (focusPager: boolean) => {
    const c = cursors[index];
    const q = `?limit=50${c ? `&cursor=${encodeURIComponent(c)}` : ''}`;
    api<AuditPage>('GET', `portfolios/${encodeURIComponent(s.companyId)}/audit${q}`)
      .then((p) => {
        cursors[index + 1] = p.next_cursor;
        const newer = h('button', { type: 'button', disabled: index === 0 }, 'Newer events');
        const older = h('button', { type: 'button', disabled: p.next_cursor === null }, 'Older events');
        on(newer, 'click', () => { index -= 1; load(true); });
        on(older, 'click', () => { index += 1; load(true); });
        replace(panel,
          h('p', { class: 'table-title', id: 'audit-table-title' }, `Audit trail of company ${s.companyId} and the companies below it, newest first`),
          h('div', { class: 'table-scroll', role: 'region', 'aria-labelledby': 'audit-table-title', tabindex: '0' }, h('table', { 'aria-labelledby': 'audit-table-title' },
            h('thead', {}, h('tr', {}, ...['When', 'Company', 'Who', 'What', 'Details', 'From'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, ...(p.events.length === 0
              ? [h('tr', {}, h('td', { colspan: '6' }, 'Nothing recorded yet.'))]
              : p.events.map((e) => h('tr', {},
                h('td', { class: 'date' }, timeOf(e.at)), h('td', {}, e.company_id), h('td', {}, e.actor), h('td', { class: 'what' }, ACTIONS[e.action] ?? e.action),
                h('td', { class: 'details' }, details(e.detail)), h('td', {}, e.client_address ?? '—'))))))),
          h('nav', { 'aria-label': 'Audit pages', class: 'pager' }, newer, h('span', {}, `Page ${index + 1}`), older),
        );
        if (focusPager) panel.querySelector<HTMLElement>('.pager button:not([disabled])')?.focus();
      })
      .catch((err: unknown) => replace(panel, h('p', { role: 'alert' }, describeError(err))));
  };
  replace(panel, h('p', { role: 'status' }, 'Loading…'));
  load(false);
}

/** Public facts only (the audit never holds a secret): token ids shortened, lists joined. */
function details(d: Record<string, unknown>): string {
  return Object.entries(d).map(([k, v]) => {
    if (k === 'tokenId' && typeof v === 'string') return `token ${shortId(v)}`;
    if (Array.isArray(v)) return `${k}: ${v.map((x) => (k === 'revoked' ? shortId(String(x)) : String(x))).join(', ')}`;
    if (k === 'expiresAt' && typeof v === 'string') return `expires ${when(v)}`;
    return `${k}: ${String(v)}`;
  }).join('; ');
}
