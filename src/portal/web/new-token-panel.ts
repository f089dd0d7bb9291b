import { h, on } from './dom.js';
import { when } from './format.js';

export interface Issued { access_token: string; token_type: string; expires_in: number; expires_at: string; token_id: string; signed_in_with: string }

/** The token just generated, shown this once, with copy buttons and ready-to-paste lines. */
export function newTokenPanel(t: Issued, title = 'Your new access token'): HTMLElement {
  const gateway = location.origin;
  const curl = `curl -H "Authorization: Bearer ${t.access_token}" ${gateway}/WS2/domains`;
  const cli = `--tokenAuth ${t.access_token}`;
  const status = h('p', { role: 'status', class: 'status' });
  const token = h('textarea', { id: 'new-token', readonly: true, rows: '4', spellcheck: 'false', class: 'token' });
  token.value = t.access_token;
  return h('section', { 'aria-labelledby': 'new-token-title', class: 'card shown-once' },
    h('h2', { id: 'new-token-title', tabindex: '-1' }, title),
    h('p', { class: 'warning' }, 'Copy it now: it is shown only this once. Anyone who has it can call the API as you until it expires or is revoked. Keep it out of chats, tickets and source code.'),
    h('div', { class: 'field' }, h('label', { for: 'new-token' }, 'Access token'), token),
    h('div', { class: 'actions' }, copyButton('Copy token', t.access_token, status, token)),
    h('p', {}, `Expires ${when(t.expires_at)}.`),
    // The product's advice, said where it matters (the token is bound to the provider).
    t.signed_in_with === 'password' ? null
      : h('p', { class: 'notice' }, `For automated jobs, a token from a classic (password) user is more stable: this one stops working if ${t.signed_in_with} or its configuration changes.`),
    h('h3', {}, 'Use it with curl'), h('pre', {}, h('code', {}, curl)), h('div', { class: 'actions' }, copyButton('Copy curl command', curl, status)),
    h('h3', {}, 'Use it with the Highlight CLI'), h('pre', {}, h('code', {}, cli)), h('div', { class: 'actions' }, copyButton('Copy CLI option', cli, status)),
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
