import { api, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { h, on, replace, trashIcon } from './dom.js';
import { statusBadge, timeOf } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';
import type { TokenRow } from './token-table-panel.js';

export interface NamedTokenList {
  section: HTMLElement;
  /** Reads the user's tokens again and redraws. */
  refresh(): Promise<void>;
}

/**
 * "Your tokens" on the Named tokens screen: the personal token (name `personal`, scope full) and
 * the named ones, newest first: name, scopes, expiry, last use and from where, status with its
 * reason, and a trash icon per active token (Revoke <name>) after a confirmation naming it.
 */
export function namedTokenList(s: SessionInfo): NamedTokenList {
  const title = () => h('h2', { id: 'your-tokens-title' }, 'Your tokens');
  const section = h('section', { class: 'card', 'aria-labelledby': 'your-tokens-title' }, title(), h('p', { role: 'status' }, 'Loading…'));
  const live = h('p', { role: 'status', class: 'status' });
  const alert = h('p', { role: 'alert', class: 'form-error' });

  const refresh = async (): Promise<void> => {
    try {
      const { tokens } = await api<{ tokens: TokenRow[] }>('GET', 'tokens');
      const mine = tokens.filter((t) => t.user_id === s.userId).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
      const box = h('div', { class: 'table-scroll', role: 'region', 'aria-labelledby': 'your-tokens-title', tabindex: '0' },
        h('table', { 'aria-labelledby': 'your-tokens-title', class: 'own-tokens' },
          h('thead', {}, h('tr', {}, ...['Name', 'Scopes', 'Expires', 'Last used', 'From', 'Status'].map((c) => h('th', { scope: 'col' }, c)),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Revoke')))),
          h('tbody', {}, ...(mine.length === 0 ? [h('tr', {}, h('td', { colspan: '7' }, 'You have no token yet.'))] : mine.map(row)))));
      replace(section, title(), alert, live, box);
    } catch (err) {
      replace(section, title(), h('p', { role: 'alert' }, describeError(err)));
    }
  };

  const row = (t: TokenRow) => {
    const name = t.name ?? 'personal';
    let action: HTMLElement | string = '';
    if (t.status === 'active') {
      const b = h('button', { type: 'button', class: 'icon danger', 'aria-label': `Revoke ${name}` }, trashIcon());
      on(b, 'click', () => void revoke(t, name));
      action = b;
    }
    return h('tr', {},
      h('th', { scope: 'row', class: 'token-name', title: name }, name), h('td', {}, (t.scopes ?? ['full']).join(', ')),
      h('td', { class: 'date' }, timeOf(t.expires_at)), h('td', { class: 'date' }, timeOf(t.last_used_at)),
      h('td', {}, t.last_used_ip ?? '—'), h('td', {}, statusBadge(t)), h('td', {}, action));
  };

  const revoke = async (t: TokenRow, name: string) => {
    const yes = await confirmAction({
      title: `Revoke ${name}?`, message: [`The token ${name} stops working at once: scripts using it get 401.`], confirm: 'Revoke', danger: true,
    });
    if (!yes) return;
    try {
      await api('DELETE', `tokens/${encodeURIComponent(t.token_id)}`);
      await refresh();
      live.textContent = `${name} is revoked.`;
    } catch (err) {
      alert.textContent = describeError(err);
    }
  };

  return { section, refresh };
}
