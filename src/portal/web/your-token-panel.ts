import { api, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { h, on, replace } from './dom.js';
import { shortId, statusBadge, timeOf } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';
import type { TokenRow } from './token-table-panel.js';

export interface YourTokenPanel {
  section: HTMLElement;
  /** Reads the user's newest token again and redraws; resolves with it (undefined: none yet). */
  refresh(): Promise<TokenRow | undefined>;
}

/**
 * "Your token" on the Generate Access Token screen: the user's newest personal token (never the token
 * itself), its status with the reason it stopped working, and "Revoke my token" after a
 * confirmation. `onRevoked` runs once the gateway confirmed.
 */
export function yourTokenPanel(s: SessionInfo, onRevoked: () => void): YourTokenPanel {
  const section = h('section', { class: 'card', 'aria-labelledby': 'mine-title' }, h('h2', { id: 'mine-title' }, 'Your token'), h('p', { role: 'status' }, 'Loading…'));
  const title = () => h('h2', { id: 'mine-title' }, 'Your token');

  const refresh = async (): Promise<TokenRow | undefined> => {
    try {
      const { tokens } = await api<{ tokens: TokenRow[] }>('GET', 'tokens');
      // The personal token only: named tokens (Named tokens screen) live beside it and never replace it.
      const current = tokens.filter((t) => t.user_id === s.userId && isPersonal(t)).sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
      replace(section, title(), current ? facts(current) : h('p', { class: 'empty' }, 'You have no token yet.'));
      return current;
    } catch (err) {
      replace(section, title(), h('p', { role: 'alert' }, describeError(err)));
      return undefined;
    }
  };

  const facts = (t: TokenRow) => {
    const list = h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, statusBadge(t)),
      h('dt', {}, 'Token id'), h('dd', {}, h('code', {}, shortId(t.token_id))),
      h('dt', {}, 'Signed in with'), h('dd', {}, t.signed_in_with),
      h('dt', {}, 'Created'), h('dd', {}, timeOf(t.created_at)),
      h('dt', {}, 'Expires'), h('dd', {}, timeOf(t.expires_at)),
      h('dt', {}, 'Last used'), h('dd', {}, timeOf(t.last_used_at)));
    if (t.status !== 'active') return list;
    const alert = h('p', { role: 'alert', class: 'form-error' });
    const revoke = h('button', { type: 'button', class: 'danger' }, 'Revoke my token');
    on(revoke, 'click', () => void confirmAction({
      title: 'Revoke your token?', message: ['It stops working at once: scripts using it get 401 until you generate a new one.'], confirm: 'Revoke', danger: true,
    }).then(async (yes) => {
      if (!yes) return;
      try {
        await api('DELETE', `tokens/${encodeURIComponent(t.token_id)}`);
        await refresh();
        onRevoked();
      } catch (err) {
        alert.textContent = describeError(err);
      }
    }));
    return h('div', {}, list, alert, h('div', { class: 'actions' }, revoke));
  };

  return { section, refresh };
}

/** The token of Generate Access Token (the API names it `personal`). */
function isPersonal(t: TokenRow): boolean {
  return t.name === undefined || t.name === null || t.name === 'personal';
}
