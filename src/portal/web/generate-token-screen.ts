import { api, ApiError, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { field, h, on, replace, setFieldError } from './dom.js';
import { newTokenPanel, type Issued } from './new-token-panel.js';
import type { SessionInfo } from './sign-in-screen.js';
import type { TokenRow } from './token-table-panel.js';
import { yourTokenPanel } from './your-token-panel.js';

/**
 * User menu > Generate Access Token, for every user: one panel per concern, top to bottom:
 * the user's token (your-token-panel.ts), the form that generates a new one, and the new token
 * shown exactly once (new-token-panel.ts; kept in this page's memory only, gone when the screen
 * is left).
 */
export function renderGenerateToken(main: HTMLElement, s: SessionInfo): void {
  document.title = 'Generate Access Token · Highlight access tokens';
  const result = h('div', {});
  let current: TokenRow | undefined;
  const refresh = async () => { current = await mine.refresh(); };
  const form = generateForm(s, () => current, result, refresh);
  const mine = yourTokenPanel(s, () => {
    replace(result);
    form.querySelector<HTMLElement>('button[type=submit]')?.focus();
  });
  main.append(
    h('h1', { tabindex: '-1' }, 'Generate Access Token'),
    h('p', { class: 'lead' }, 'A personal token lets scripts and the Highlight CLI call the API as you, without your password, with everything you can do (scope full). You have one personal token at a time: generating a new one replaces the old one.'),
    h('p', {}, 'For a token that may only read, or one token per script beside this one, use ', h('a', { href: '#named-tokens' }, 'Named tokens'), '.'),
    mine.section, form, result,
  );
  void refresh();
}

/**
 * The form that generates a token. identity.upstream: basic: the token carries the user's own
 * Basic, so the password is asked again (Enter in it submits); it is sent with this one call
 * and the field is emptied whatever happens.
 */
function generateForm(s: SessionInfo, current: () => TokenRow | undefined, result: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const alert = h('p', { role: 'alert', class: 'form-error' });
  const generate = h('button', { type: 'submit', class: 'primary' }, 'Generate Access Token');
  const password = s.confirmPassword
    ? h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })
    : undefined;
  const pw = password
    ? field('Confirm your password', password, 'The API behind the gateway needs your own credentials: the token carries them, encrypted.')
    : undefined;
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'generate-title' },
    h('h2', { id: 'generate-title' }, 'New token'),
    pw?.wrap, alert, h('div', { class: 'actions' }, generate));

  on(form, 'submit', (e) => void (async () => {
    e.preventDefault();
    alert.textContent = '';
    if (password && pw) {
      setFieldError(password, pw.error, '');
      if (password.value === '') {
        setFieldError(password, pw.error, 'Enter your password to generate a token.');
        password.focus();
        return;
      }
    }
    if (current()?.status === 'active') {
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
      replace(result, newTokenPanel(t));
      result.querySelector<HTMLElement>('h2')?.focus();
      await refresh();
    } catch (err) {
      if (password && pw && err instanceof ApiError && err.code === 'login_failed') {
        setFieldError(password, pw.error, 'Wrong password: no token was generated.');
        password.focus();
      } else alert.textContent = describeError(err);
    } finally {
      if (password) password.value = '';
      generate.disabled = false;
    }
  })());
  return form;
}
