import { h } from './dom.js';
import { namedTokenForm } from './named-token-form.js';
import { namedTokenList } from './named-token-list-panel.js';
import type { SessionInfo } from './sign-in-screen.js';

/**
 * User menu > Named tokens: like GitHub's fine-grained tokens, any number of named tokens beside
 * the personal one, each with its scope and expiry: the list (named-token-list-panel.ts), the
 * form (named-token-form.ts) and the new token shown once. Unlike Generate Access Token, creating
 * one never replaces another.
 */
export function renderNamedTokens(main: HTMLElement, s: SessionInfo): void {
  document.title = 'Named tokens · Highlight access tokens';
  const result = h('div', {});
  const list = namedTokenList(s);
  main.append(
    h('h1', { tabindex: '-1' }, 'Named tokens'),
    h('p', { class: 'lead' }, 'Named tokens sit beside your personal token: give each script its own, with only the scope it needs and its own expiry. Generating one never replaces another; your personal token is listed as “personal” with scope full.'),
    list.section, namedTokenForm(s, result, list.refresh), result,
  );
  void list.refresh();
}
