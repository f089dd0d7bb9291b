import { api, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { field, h, on, replace, trashIcon } from './dom.js';
import { shortId, statusBadge, timeOf } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';

export interface TokenRow {
  token_id: string; user_id: string; login: string;
  created_at: string; expires_at: string; last_used_at: string | null; revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  /** Why it stopped working (`revoked`, `renewed`, `reparented`, `reset`, `passphrase_changed`, `denied`); null while active. */
  revoked_reason: string | null;
  /** `password`, or the SSO provider the token is bound to. */
  signed_in_with: string;
  /** A named token's name; null or absent for the personal token. */
  name?: string | null;
  /** A named token's scopes; null or absent for the personal token (full). */
  scopes?: string[] | null;
  /** The client address of the last use. */
  last_used_ip?: string | null;
}

type Key = 'login' | 'name' | 'scopes' | 'signed_in_with' | 'token_id' | 'created_at' | 'expires_at' | 'last_used_at' | 'status';
const COLUMNS: { key: Key; label: string }[] = [
  { key: 'login', label: 'User' }, { key: 'name', label: 'Name' }, { key: 'scopes', label: 'Scopes' }, { key: 'signed_in_with', label: 'Signed in with' }, { key: 'token_id', label: 'Token id' }, { key: 'created_at', label: 'Created' },
  { key: 'expires_at', label: 'Expires' }, { key: 'last_used_at', label: 'Last used' }, { key: 'status', label: 'Status' },
];
const PAGE_SIZE = 50;

/**
 * Every token of the portfolio (never the token itself): filtered by status and "expiring within"
 * through the API (`?status=`, `?expiring_within=` minutes), by user as one types (any part of
 * the login: the API's `?user=` wants the whole login or id), sortable by each column, 50 rows a
 * page, and a trash icon per active token that revokes it after a confirmation naming the user and the
 * token. The row turns revoked as soon as the gateway confirms.
 */
export function renderTokenTable(panel: HTMLElement, s: SessionInfo): void {
  const user = h('input', { type: 'search', autocomplete: 'off' });
  const status = h('select', {}, ...['all', 'active', 'expired', 'revoked'].map((v) => h('option', { value: v }, v === 'all' ? 'All' : v[0]!.toUpperCase() + v.slice(1))));
  const within = h('select', {}, ...EXPIRING.map(([minutes, label]) => h('option', { value: minutes }, label)));
  const body = h('div', {}, h('p', { role: 'status' }, 'Loading…'));
  let redraw: (() => void) | undefined;
  const load = () => {
    const q = new URLSearchParams();
    if (status.value !== 'all') q.set('status', status.value);
    if (within.value !== '') q.set('expiring_within', within.value);
    const query = q.toString() === '' ? '' : `?${q.toString()}`;
    api<{ tokens: TokenRow[] }>('GET', `tokens${query}`)
      .then((r) => {
        const t = tokenTable(r.tokens, s, user);
        redraw = t.draw;
        replace(body, t.el);
      })
      .catch((err: unknown) => replace(body, h('p', { role: 'alert' }, describeError(err))));
  };
  on(user, 'input', () => redraw?.());
  on(status, 'change', load);
  on(within, 'change', load);
  replace(panel, h('div', { class: 'filters' },
    field('Filter by user', user).wrap, field('Status', status).wrap, field('Expiring within', within).wrap), body);
  load();
}

/** "Expiring within": active tokens that expire within so many minutes ('' = any). */
const EXPIRING: [string, string][] = [['', 'Any time'], ['1440', '1 day'], ['10080', '7 days'], ['43200', '30 days']];

function tokenTable(rows: TokenRow[], s: SessionInfo, user: HTMLInputElement): { el: HTMLElement; draw: () => void } {
  let sortKey: Key = 'created_at';
  let descending = true;
  let page = 0;
  const live = h('div', { role: 'status', class: 'status' });
  const alert = h('div', { role: 'alert', class: 'form-error' });
  const title = h('p', { class: 'table-title', id: 'tokens-table-title' });
  const tableBox = h('div', { class: 'table-scroll', role: 'region', 'aria-labelledby': 'tokens-table-title', tabindex: '0' });
  const pager = h('nav', { 'aria-label': 'Token pages', class: 'pager' });

  const draw = () => {
    const u = user.value.trim().toLowerCase();
    const visible = rows
      .filter((r) => u === '' || r.login.toLowerCase().includes(u))
      .sort((a, b) => compare(sortValue(a, sortKey), sortValue(b, sortKey)) * (descending ? -1 : 1));
    const pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const shown = visible.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    replace(tableBox, table(shown, visible.length));
    replace(pager, ...(pages > 1 ? pagerControls(pages) : []));
  };

  const table = (shown: TokenRow[], total: number) => {
    title.textContent = `Tokens of company ${s.companyId}: ${total} ${total === 1 ? 'token' : 'tokens'}`;
    return tableOf(shown);
  };
  const tableOf = (shown: TokenRow[]) => h('table', { 'aria-labelledby': 'tokens-table-title' },
    h('thead', {}, h('tr', {},
      ...COLUMNS.map((c) => {
        const b = h('button', { type: 'button', class: 'sort' }, c.label);
        on(b, 'click', () => {
          if (sortKey === c.key) descending = !descending;
          else { sortKey = c.key; descending = !['login', 'name', 'scopes', 'status'].includes(c.key); }
          draw();
          tableBox.querySelector<HTMLElement>(`th[data-key="${c.key}"] button`)?.focus();
        });
        return h('th', { scope: 'col', 'data-key': c.key, 'aria-sort': sortKey === c.key ? (descending ? 'descending' : 'ascending') : null }, b);
      }),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Revoke')))),
    h('tbody', {}, ...(shown.length === 0
      ? [h('tr', {}, h('td', { colspan: '10' }, 'No tokens match.'))]
      : shown.map(row))),
  );

  const row = (r: TokenRow) => {
    const cells = [
      h('th', { scope: 'row' }, r.login), h('td', { class: 'token-name', title: r.name ?? 'personal' }, r.name ?? 'personal'), h('td', {}, scopesOf(r)), h('td', {}, r.signed_in_with), h('td', { title: r.token_id }, h('code', {}, shortId(r.token_id))),
      h('td', { class: 'date' }, timeOf(r.created_at)), h('td', { class: 'date' }, timeOf(r.expires_at)), h('td', { class: 'date' }, timeOf(r.last_used_at)),
      h('td', {}, statusBadge(r)),
    ];
    let action: HTMLElement | string = '';
    if (r.status === 'active') {
      const b = h('button', { type: 'button', class: 'icon danger', 'aria-label': r.name && r.name !== 'personal' ? `Revoke the token ${r.name} of ${r.login}` : `Revoke the token of ${r.login}` }, trashIcon());
      on(b, 'click', () => void revoke(r));
      action = b;
    }
    return h('tr', {}, ...cells, h('td', {}, action));
  };

  const revoke = async (r: TokenRow) => {
    const yes = await confirmAction({
      title: r.name && r.name !== 'personal' ? `Revoke the token ${r.name} of ${r.login}?` : `Revoke the token of ${r.login}?`,
      message: [`Token ${shortId(r.token_id)} of ${r.login} stops working at once: every request with it is refused. ${r.login} can generate a new one.`],
      confirm: 'Revoke', danger: true,
    });
    if (!yes) return;
    alert.textContent = '';
    try {
      await api('DELETE', `tokens/${encodeURIComponent(r.token_id)}`);
      r.status = 'revoked';
      r.revoked_reason = 'revoked';
      r.revoked_at = new Date().toISOString();
      live.textContent = `The token of ${r.login} is revoked.`;
    } catch (err) {
      alert.textContent = describeError(err);
    }
    draw();
    tableBox.focus();
  };

  const pagerControls = (pages: number) => {
    const prev = h('button', { type: 'button', disabled: page === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: page >= pages - 1 }, 'Next page');
    on(prev, 'click', () => { page -= 1; draw(); pager.querySelector<HTMLElement>('button:not([disabled])')?.focus(); });
    on(next, 'click', () => { page += 1; draw(); pager.querySelector<HTMLElement>('button:not([disabled])')?.focus(); });
    return [prev, h('span', { 'aria-live': 'polite' }, `Page ${page + 1} of ${pages}`), next];
  };

  draw();
  return { el: h('div', {}, alert, live, title, tableBox, pager), draw: () => { page = 0; draw(); } };
}

function scopesOf(r: TokenRow): string {
  return (r.scopes ?? ['full']).join(', ');
}

function sortValue(r: TokenRow, key: Key): string | null {
  if (key === 'name') return r.name ?? 'personal';
  if (key === 'scopes') return scopesOf(r);
  return r[key];
}

function compare(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
