import { api, ApiError, describeError } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { field, h, on, replace, setFieldError } from './dom.js';
import { charCount, minutesAsDays, when } from './format.js';
import type { SessionInfo } from './sign-in-screen.js';

interface Policy { companyId: string; enabled: boolean; passphraseSet: boolean; durationMinutes: number; updatedAt: string | null }

const MIN = 10;
const MAX = 255;
const DURATION_MAX = 1_000_000;

/**
 * The portfolio's policy: the switch, the pass phrase (write-only: typed, sent once, never shown
 * back), the duration with its value in days, and Apply after a confirmation that says exactly
 * what will be reset.
 */
export function renderPolicyPanel(panel: HTMLElement, s: SessionInfo): void {
  replace(panel, h('p', { role: 'status' }, 'Loading…'));
  const path = `portfolios/${encodeURIComponent(s.companyId)}/token-policy`;
  api<Policy>('GET', path)
    .then((p) => replace(panel, policyForm(path, p)))
    .catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'portfolio_not_allowed') {
        replace(panel, h('div', { class: 'notice', role: 'note' },
          h('h2', {}, 'Not available for this company'),
          h('p', {}, 'Token authentication must be activated by CAST for this company. Please contact CAST support.')));
      } else replace(panel, h('p', { role: 'alert' }, describeError(err)));
    });
}

/** The on/off switch (WAI-ARIA switch: a button with aria-checked), named by what it does. */
function policySwitch(companyId: string, initiallyOn: boolean): { row: HTMLElement; get(): boolean; set(v: boolean): void } {
  const state = h('span', { class: 'switch-state', 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', role: 'switch', class: 'switch', 'aria-labelledby': 'policy-switch-label', 'aria-describedby': 'policy-switch-hint' },
    h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })), state);
  const set = (v: boolean) => {
    button.setAttribute('aria-checked', String(v));
    state.textContent = v ? 'On' : 'Off';
  };
  set(initiallyOn);
  on(button, 'click', () => set(button.getAttribute('aria-checked') !== 'true'));
  const row = h('div', { class: 'setting' },
    h('div', {},
      h('span', { id: 'policy-switch-label', class: 'setting-label' }, `User tokens for ${companyId}`),
      h('p', { id: 'policy-switch-hint', class: 'hint' }, 'On: users of the company can generate personal access tokens. Off: no one can, and every existing token stops working.')),
    button);
  return { row, get: () => button.getAttribute('aria-checked') === 'true', set };
}

function policyForm(path: string, initial: Policy): HTMLElement {
  let current = initial;
  const enabled = policySwitch(current.companyId, current.enabled);

  const passphrase = h('input', { type: 'password', autocomplete: 'new-password', spellcheck: 'false', maxlength: String(MAX * 2) });
  const count = h('span', { 'aria-live': 'polite' });
  const setHint = h('span', {});
  const reveal = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Show pass phrase');
  const pp = field('Pass phrase', passphrase, [setHint, ' ', count], reveal);
  const showPassphrase = (show: boolean) => {
    passphrase.type = show ? 'text' : 'password';
    reveal.setAttribute('aria-pressed', String(show));
    reveal.textContent = show ? 'Hide pass phrase' : 'Show pass phrase';
  };
  on(reveal, 'click', () => showPassphrase(passphrase.type === 'password'));
  const updateCount = () => {
    const n = charCount(passphrase.value);
    count.textContent = n === 0 ? `${MIN} to ${MAX} characters.` : `${n} of ${MAX} characters${n < MIN ? ` (at least ${MIN})` : ''}.`;
  };
  on(passphrase, 'input', () => { updateCount(); setFieldError(passphrase, pp.error, ''); });

  const duration = h('input', { type: 'number', inputmode: 'numeric', min: '1', max: String(DURATION_MAX), step: '1', value: String(current.durationMinutes), class: 'short' });
  const days = h('output', {});
  const du = field('Token duration (minutes)', duration, days);
  const updateDays = () => { days.textContent = `= ${minutesAsDays(Number(duration.value)) || '—'} (1 to ${DURATION_MAX.toLocaleString()} minutes)`; };
  on(duration, 'input', () => { updateDays(); setFieldError(duration, du.error, ''); });

  const status = h('div', { role: 'status', class: 'status' });
  const alert = h('div', { role: 'alert', class: 'form-error' });
  const apply = h('button', { type: 'submit', class: 'primary' }, 'Apply');
  const updated = h('span', { class: 'hint' });
  const refresh = () => {
    setHint.textContent = current.passphraseSet ? 'A pass phrase is set (never shown); type a new one to replace it.' : 'No pass phrase yet: one is needed to switch on.';
    updated.textContent = current.updatedAt ? `Last changed ${when(current.updatedAt)}.` : '';
    updateCount();
    updateDays();
  };
  refresh();

  const form = h('form', { novalidate: true, class: 'policy card', 'aria-label': 'Token policy' },
    enabled.row,
    pp.wrap,
    du.wrap,
    alert, status,
    h('div', { class: 'actions' }, apply, updated),
  );

  on(form, 'submit', (e) => {
    e.preventDefault();
    alert.textContent = '';
    status.textContent = '';
    const change: { enabled?: boolean; passphrase?: string; durationMinutes?: number } = {};
    const n = charCount(passphrase.value);
    const minutes = Number(duration.value);
    setFieldError(passphrase, pp.error, passphrase.value !== '' && (n < MIN || n > MAX) ? `The pass phrase needs ${MIN} to ${MAX} characters (now ${n}).` : '');
    setFieldError(duration, du.error, !Number.isInteger(minutes) || minutes < 1 || minutes > DURATION_MAX ? `Enter a whole number of minutes from 1 to ${DURATION_MAX.toLocaleString()}.` : '');
    if (enabled.get() && !current.passphraseSet && passphrase.value === '') setFieldError(passphrase, pp.error, 'Type a pass phrase to switch token authentication on.');
    const invalid = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (invalid) { invalid.focus(); return; }

    if (enabled.get() !== current.enabled) change.enabled = enabled.get();
    if (passphrase.value !== '') change.passphrase = passphrase.value;
    if (minutes !== current.durationMinutes) change.durationMinutes = minutes;
    if (Object.keys(change).length === 0) { status.textContent = 'Nothing to apply: no change.'; return; }

    void confirmAction({ title: 'Apply these changes?', message: consequences(current, change), confirm: 'Apply', danger: voids(current, change) })
      .then(async (yes) => {
        if (!yes) return;
        apply.disabled = true;
        try {
          current = await api<Policy>('PUT', path, change);
          passphrase.value = '';
          showPassphrase(false); // nothing left to show: the button must not stay pressed
          enabled.set(current.enabled);
          refresh();
          status.textContent = `Applied. Token authentication is ${current.enabled ? 'on' : 'off'}; new tokens last ${current.durationMinutes.toLocaleString()} minutes.`;
        } catch (err) {
          alert.textContent = describeError(err);
        } finally {
          apply.disabled = false;
        }
      });
  });
  return form;
}

/** Switching off or on, or a new pass phrase, voids every token of the portfolio; the duration alone does not. */
function voids(p: Policy, c: { enabled?: boolean; passphrase?: string }): boolean {
  return c.enabled !== undefined || (c.passphrase !== undefined && p.enabled);
}

function consequences(p: Policy, c: { enabled?: boolean; passphrase?: string; durationMinutes?: number }): string[] {
  const lines: string[] = [];
  if (c.enabled === false) lines.push('Token authentication will be switched off: every token of the portfolio stops working now, and users cannot generate new ones.');
  if (c.enabled === true) lines.push('Token authentication will be switched on: users can generate tokens. Any token from before it was switched off stays void.');
  if (c.passphrase !== undefined) lines.push(p.enabled || c.enabled === true
    ? 'The new pass phrase voids every existing token of the portfolio: every user must generate a new token.'
    : 'The pass phrase will be set. It is never shown again.');
  if (c.durationMinutes !== undefined) lines.push(`New tokens will last ${c.durationMinutes.toLocaleString()} minutes (${minutesAsDays(c.durationMinutes)}). Changing only the duration voids no existing token.`);
  return lines;
}
