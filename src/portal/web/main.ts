import { api, describeError, setCsrfToken, whenSessionLost } from './api.js';
import { h, on, replace } from './dom.js';
import { renderGenerateToken } from './generate-token-screen.js';
import { renderNamedTokens } from './named-tokens-screen.js';
import { disclosureMenu } from './menu.js';
import { signInForm, type SessionInfo } from './sign-in-screen.js';
import { renderTokenManagement } from './token-management-screen.js';

/**
 * The page's entry point: asks whether a session exists, then shows the sign-in form or the
 * application (header with the product, Token Management for managers and the user menu, and
 * one screen chosen by the URL fragment). The fragment names a screen only, never data.
 */
const root = document.getElementById('app')!;
let session: SessionInfo | undefined;

type Screen = 'token-management' | 'generate-token' | 'named-tokens';

function screenFor(s: SessionInfo): Screen {
  const wanted = location.hash.slice(1);
  if (wanted === 'token-management' && s.manager) return 'token-management';
  if (wanted === 'generate-token') return 'generate-token';
  if (wanted === 'named-tokens') return 'named-tokens';
  return s.manager ? 'token-management' : 'generate-token';
}

const PRODUCT = 'Highlight access tokens';

function showSignIn(notice?: string): void {
  session = undefined;
  document.title = `Sign in · ${PRODUCT}`;
  const main = h('main', { id: 'main', class: 'narrow' }, signInForm(showApp, notice));
  replace(root, h('header', { class: 'top' }, brand()), main);
  main.querySelector<HTMLInputElement>('input')?.focus();
}

function brand(): HTMLElement {
  return h('span', { class: 'brand' }, h('span', { class: 'brand-company' }, 'CAST Highlight'), h('span', { class: 'brand-product' }, 'Access tokens'));
}

/**
 * The product name, the screens (a manager's Token Management as a plain link: a menu of one
 * item, the page already open, helps nobody) and the signed-in user's menu.
 */
function header(s: SessionInfo, screen: Screen): HTMLElement {
  const signOut = h('button', { type: 'button' }, 'Sign out');
  on(signOut, 'click', () => {
    api('DELETE', 'session', undefined, { quietSessionLoss: true })
      .catch(() => undefined) // an expired session is signed out already
      .finally(() => {
        setCsrfToken('');
        history.replaceState(null, '', location.pathname);
        showSignIn('You are signed out.');
      });
  });
  const nav = s.manager
    ? h('nav', { 'aria-label': 'Main', class: 'main-nav' },
      h('a', { href: '#token-management', 'aria-current': screen === 'token-management' ? 'page' : null }, 'Token Management'))
    : h('span', { class: 'main-nav' });
  const user = disclosureMenu(s.login, [
    h('p', { class: 'menu-note' }, `Signed in as ${s.login}, company ${s.companyId}`),
    h('a', { href: '#generate-token', 'aria-current': screen === 'generate-token' ? 'page' : null }, 'Generate Access Token'),
    h('a', { href: '#named-tokens', 'aria-current': screen === 'named-tokens' ? 'page' : null }, 'Named tokens'), signOut,
  ], { className: 'user-menu', buttonLabel: `User menu: ${s.login}` });
  return h('header', { class: 'top' }, brand(), nav, user);
}

function render(): void {
  if (!session) return;
  const s = session;
  const main = h('main', { id: 'main' });
  const screen = screenFor(s);
  replace(root, h('a', { href: '#main', class: 'skip' }, 'Skip to content'), header(s, screen), main);
  if (screen === 'token-management') renderTokenManagement(main, s);
  else if (screen === 'named-tokens') renderNamedTokens(main, s);
  else renderGenerateToken(main, s);
  main.querySelector<HTMLElement>('h1')?.focus();
}

function showApp(s: SessionInfo): void {
  session = s;
  render();
}

/**
 * Session expired during work: sign in again in a dialog over the current screen, so what was
 * typed stays where it was (in this page's memory only). Another user signing in gets a fresh page.
 */
whenSessionLost(() => {
  if (document.querySelector('dialog.session-lost')) return;
  const before = session;
  const dialog = h('dialog', { class: 'session-lost', 'aria-labelledby': 'sign-in-title' });
  dialog.appendChild(signInForm((s) => {
    dialog.close();
    if (before && before.login === s.login) session = s;
    else showApp(s);
  }, 'Your session has expired. Sign in again to continue: what you typed is kept.'));
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('cancel', (e) => e.preventDefault()); // no way around signing in
  document.body.appendChild(dialog);
  dialog.showModal();
  dialog.querySelector<HTMLInputElement>('input')?.focus();
});

window.addEventListener('hashchange', () => render());

// Signed out is an answer here (204), not an error: a signed-out load logs nothing in the console.
const signedIn = (s: Partial<SessionInfo>): s is SessionInfo => typeof s.csrfToken === 'string';
api<Partial<SessionInfo>>('GET', 'session-probe', undefined, { quietSessionLoss: true })
  .then((s) => {
    if (!signedIn(s)) return showSignIn();
    setCsrfToken(s.csrfToken);
    showApp(s);
  })
  .catch((err: unknown) => replace(root, h('main', { id: 'main' }, h('p', { role: 'alert' }, describeError(err)))));
