import { api, ApiError, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { field, h, on, replace, setFieldError } from './dom.js';
import { shortId, when } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';
import type { TokenRow } from './token-table-panel.js';

interface Issued { access_token: string; token_type: string; expires_in: number; expires_at: string; token_id: string; signed_in_with: string }

/**
 * User menu > Generate Access Token, for every user: the status of their own token, a new one
 * shown exactly once (kept in this page's memory only, gone when the screen is left), a copy
 * button and lines ready to paste.
 */
export function renderGenerateToken(main: HTMLElement, s: SessionInfo): void {
  document.title = 'Generate Access Token · Highlight tokens';
  const mine = h('section', { 'aria-labelledby': 'mine-title' }, h('h2', { id: 'mine-title' }, 'Your token'), h('p', { role: 'status' }, 'Loading…'));
  const result = h('div', {});
  const alert = h('div', { role: 'alert', class: 'form-error' });
  const generate = h('button', { type: 'button', class: 'primary' }, 'Generate Access Token');
  let current: TokenRow | undefined;
  // identity.upstream: basic: the token carries the user's own Basic, so the password is asked
  // again; it is sent with this one call and the field is emptied whatever happens.
  const password = s.confirmPassword
    ? h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })
    : undefined;
  const passwordField = password
    ? field('Confirm your password', password, 'The API behind the gateway needs your own credentials: the token carries them, encrypted.')
    : undefined;

  const showMine = async () => {
    try {
      const { tokens } = await api<{ tokens: TokenRow[] }>('GET', 'tokens');
      current = tokens.filter((t) => t.user_id === s.userId).sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
      replace(mine, h('h2', { id: 'mine-title' }, 'Your token'), current ? tokenFacts(current) : h('p', {}, 'You have no token yet.'));
    } catch (err) {
      replace(mine, h('h2', { id: 'mine-title' }, 'Your token'), h('p', { role: 'alert' }, describeError(err)));
    }
  };

  const tokenFacts = (t: TokenRow) => {
    const list = h('dl', { class: 'facts' },
      h('dt', {}, 'Token id'), h('dd', {}, h('code', {}, shortId(t.token_id))),
      h('dt', {}, 'Signed in with'), h('dd', {}, t.signed_in_with),
      h('dt', {}, 'Status'), h('dd', {}, h('span', { class: `badge ${t.status}` }, t.status)),
      h('dt', {}, 'Created'), h('dd', {}, when(t.created_at)),
      h('dt', {}, 'Expires'), h('dd', {}, when(t.expires_at)),
      h('dt', {}, 'Last used'), h('dd', {}, when(t.last_used_at)));
    if (t.status !== 'active') return list;
    const revoke = h('button', { type: 'button', class: 'danger' }, 'Revoke my token');
    on(revoke, 'click', () => void confirmAction({
      title: 'Revoke your token?', message: ['It stops working at once: scripts using it get 401 until you generate a new one.'], confirm: 'Revoke', danger: true,
    }).then(async (yes) => {
      if (!yes) return;
      try {
        await api('DELETE', `tokens/${encodeURIComponent(t.token_id)}`);
        replace(result);
      } catch (err) {
        alert.textContent = describeError(err);
      }
      await showMine();
      generate.focus();
    }));
    return h('div', {}, list, revoke);
  };

  on(generate, 'click', () => void (async () => {
    alert.textContent = '';
    if (password && passwordField) {
      setFieldError(password, passwordField.error, '');
      if (password.value === '') {
        setFieldError(password, passwordField.error, 'Enter your password to generate a token.');
        password.focus();
        return;
      }
    }
    if (current?.status === 'active') {
      const yes = await confirmAction({
        title: 'Replace your token?',
        message: ['Your current token stops working at once: every script or tool using it must be given the new one.'],
        confirm: 'Generate a new token', danger: true,
      });
      if (!yes) return;
    }
    generate.disabled = true;
    try {
      const t = await api<Issued>('POST', 'oauth/authorize', password ? { password: password.value } : undefined);
      replace(result, shownOnce(t));
      result.querySelector<HTMLElement>('h2')?.focus();
      await showMine();
    } catch (err) {
      if (password && passwordField && err instanceof ApiError && err.code === 'login_failed') {
        setFieldError(password, passwordField.error, 'Wrong password: no token was generated.');
        password.focus();
      } else alert.textContent = describeError(err);
    } finally {
      if (password) password.value = '';
      generate.disabled = false;
    }
  })());

  main.append(
    h('h1', { tabindex: '-1' }, 'Generate Access Token'),
    h('p', { class: 'lead' }, 'A personal token lets scripts and the Highlight CLI call the API as you, without your password. You have one token at a time: generating a new one replaces the old one.'),
    mine, ...(passwordField ? [passwordField.wrap] : []), h('div', { class: 'actions' }, generate), alert, result,
  );
  void showMine();
}

/** The token, shown this once, with copy buttons and ready-to-paste lines. */
function shownOnce(t: Issued): HTMLElement {
  const gateway = location.origin;
  const curl = `curl -H "Authorization: Bearer ${t.access_token}" ${gateway}/WS2/domains`;
  const cli = `--tokenAuth ${t.access_token}`;
  const status = h('p', { role: 'status', class: 'status' });
  const token = h('textarea', { id: 'new-token', readonly: true, rows: '4', spellcheck: 'false', class: 'token' });
  token.value = t.access_token;
  return h('section', { 'aria-labelledby': 'new-token-title', class: 'shown-once' },
    h('h2', { id: 'new-token-title', tabindex: '-1' }, 'Your new access token'),
    h('p', { class: 'warning' }, 'Copy it now: it is shown only this once. Anyone who has it can call the API as you until it expires or is revoked. Keep it out of chats, tickets and source code.'),
    h('label', { for: 'new-token' }, 'Access token'), token,
    copyButton('Copy token', t.access_token, status, token),
    h('p', {}, `Expires ${when(t.expires_at)}.`),
    // The product's advice, said where it matters (the token is bound to the provider).
    t.signed_in_with === 'password' ? null
      : h('p', { class: 'notice' }, `For automated jobs, a token from a classic (password) user is more stable: this one stops working if ${t.signed_in_with} or its configuration changes.`),
    h('h3', {}, 'Use it with curl'), h('pre', {}, h('code', {}, curl)), copyButton('Copy curl command', curl, status),
    h('h3', {}, 'Use it with the Highlight CLI'), h('pre', {}, h('code', {}, cli)), copyButton('Copy CLI option', cli, status),
    status,
  );
}

function copyButton(label: string, text: string, status: HTMLElement, select?: HTMLTextAreaElement): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary' }, label);
  on(b, 'click', () => {
    navigator.clipboard.writeText(text).then(
      () => { status.textContent = 'Copied to the clipboard.'; },
      () => {
        select?.select();
        status.textContent = 'Copying is blocked here: the text is selected, press Ctrl+C (⌘C on a Mac).';
      });
  });
  return b;
}
