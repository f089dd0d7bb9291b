import { api, ApiError, describeError } from './api.js';
import { field, h, on, replace, setFieldError, uid } from './dom.js';
import { minutesAsDays } from './format.js';
import { newTokenPanel, type Issued } from './new-token-panel.js';
import type { SessionInfo } from './sign-in-screen.js';

interface Choices { scopes: string[]; maxMinutes: number }

const DAY = 1440;
const PRESET_DAYS = [7, 30, 60, 90];
const SCOPE_HINTS: Readonly<Record<string, string>> = { read: 'GET and HEAD only', full: 'everything you can do' };

/**
 * "Generate new token" (named): a name, an expiry (presets longer than the portfolio's duration are
 * disabled, saying why; or a custom number of days or minutes), the scopes the user may choose
 * (GET ui/api/token-scopes), then the token shown once. The gateway's refusals (name taken, limit
 * reached, scope not allowed) are shown next to the field they are about.
 */
export function namedTokenForm(s: SessionInfo, result: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'named-title' }, h('h2', { id: 'named-title' }, 'Generate new token'), h('p', { role: 'status' }, 'Loading…'));
  api<Choices>('GET', 'token-scopes')
    .then((c) => fill(form, s, c, result, refresh))
    .catch((err: unknown) => replace(form, h('h2', { id: 'named-title' }, 'Generate new token'), h('p', { role: 'alert' }, describeError(err))));
  return form;
}

function expiryChoices(maxMinutes: number): { select: HTMLSelectElement; custom: HTMLInputElement; unit: HTMLSelectElement; minutes(): number | undefined } {
  const select = h('select', {},
    ...PRESET_DAYS.map((d) => {
      const tooLong = d * DAY > maxMinutes;
      return h('option', { value: String(d * DAY), disabled: tooLong }, tooLong ? `${d} days (longer than your company allows)` : `${d} days`);
    }),
    h('option', { value: 'custom' }, 'Custom…'));
  // 30 days when allowed, else the longest preset allowed, else custom.
  const fits = PRESET_DAYS.filter((d) => d * DAY <= maxMinutes);
  select.value = fits.length === 0 ? 'custom' : String(Math.min(30, fits[fits.length - 1]!) * DAY);
  const custom = h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const unit = h('select', { 'aria-label': 'Unit' }, h('option', { value: 'days' }, 'days'), h('option', { value: 'minutes' }, 'minutes'));
  const minutes = () => {
    if (select.value !== 'custom') return Number(select.value);
    const n = Number(custom.value);
    if (!Number.isInteger(n) || n < 1) return undefined;
    return unit.value === 'days' ? n * DAY : n;
  };
  return { select, custom, unit, minutes };
}

function fill(form: HTMLElement, s: SessionInfo, c: Choices, result: HTMLElement, refresh: () => Promise<void>): void {
  const name = h('input', { type: 'text', name: 'name', maxlength: '100', autocomplete: 'off', required: true });
  const nameField = field('Token name', name, 'What it is for, e.g. "nightly export". Unique among your live tokens.');
  const exp = expiryChoices(c.maxMinutes);
  const expField = field('Expiration', exp.select, `Your company allows at most ${minutesAsDays(c.maxMinutes) || `${c.maxMinutes} minutes`}.`);
  const customField = field('Custom expiration', exp.custom, undefined, exp.unit);
  customField.wrap.hidden = exp.select.value !== 'custom';
  on(exp.select, 'change', () => { customField.wrap.hidden = exp.select.value !== 'custom'; });
  const scopeError = h('p', { class: 'field-error', id: uid('scopes-error'), hidden: true });
  const boxes = c.scopes.map((sc) => h('input', { type: 'radio', name: 'scope', value: sc, checked: sc === 'read' || (sc === c.scopes[0] && !c.scopes.includes('read')) }));
  const scopes = h('fieldset', { class: 'field scopes', 'aria-describedby': scopeError.id },
    h('legend', {}, 'Scope'),
    ...boxes.map((b) => h('label', { class: 'choice' }, b, ` ${b.value}`, SCOPE_HINTS[b.value] ? h('span', { class: 'hint' }, ` (${SCOPE_HINTS[b.value]})`) : null)),
    scopeError);
  const password = s.confirmPassword ? h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }) : undefined;
  const pw = password ? field('Confirm your password', password, 'The API behind the gateway needs your own credentials: the token carries them, encrypted.') : undefined;
  const alert = h('p', { role: 'alert', class: 'form-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Generate token');
  replace(form, h('h2', { id: 'named-title' }, 'Generate new token'), nameField.wrap, expField.wrap, customField.wrap, scopes, pw?.wrap, alert, h('div', { class: 'actions' }, submit));

  const clear = () => { alert.textContent = ''; setFieldError(name, nameField.error, ''); setFieldError(exp.custom, customField.error, ''); scopeError.hidden = true; };
  on(form, 'submit', (e) => void (async () => {
    e.preventDefault();
    clear();
    const minutes = exp.minutes();
    if (name.value.trim() === '') { setFieldError(name, nameField.error, 'Give the token a name.'); name.focus(); return; }
    if (minutes === undefined || minutes > c.maxMinutes) {
      setFieldError(exp.custom, customField.error, `Enter a whole number up to ${c.maxMinutes} minutes (${minutesAsDays(c.maxMinutes)}).`);
      exp.custom.focus();
      return;
    }
    const scope = boxes.find((b) => b.checked)?.value;
    submit.disabled = true;
    try {
      const t = await api<Issued & { name: string; scopes: string[] }>('POST', 'tokens', { name: name.value, scopes: scope ? [scope] : [], validityMinutes: minutes, ...(password ? { password: password.value } : {}) });
      replace(result, newTokenPanel({ ...t, signed_in_with: s.signedInWith ?? 'password' }, `Your new token “${t.name}” (${t.scopes.join(', ')})`));
      result.querySelector<HTMLElement>('h2')?.focus();
      name.value = '';
      await refresh();
    } catch (err) {
      showRefusal(err, { name: () => setFieldError(name, nameField.error, describeNamed(err)), scope: () => { scopeError.textContent = describeNamed(err); scopeError.hidden = false; } }, alert);
    } finally {
      if (password) password.value = '';
      submit.disabled = false;
    }
  })());
}

function showRefusal(err: unknown, at: { name: () => void; scope: () => void }, alert: HTMLElement): void {
  const code = err instanceof ApiError ? err.code : '';
  if (code === 'name_taken' || code === 'too_many_tokens') at.name();
  else if (code === 'scope_not_allowed') at.scope();
  else alert.textContent = describeError(err);
}

function describeNamed(err: unknown): string {
  const e = err as ApiError;
  if (e.code === 'name_taken') return 'You already have a live token with this name: choose another name, or revoke that token first.';
  if (e.code === 'too_many_tokens') {
    const max = /at most (\d{1,6})/.exec(e.description)?.[1];
    return `You have reached the limit of ${max ?? 'your'} live named tokens: revoke one you no longer use.`;
  }
  return `Your company does not allow this scope: ${e.description.replace(/^scope not allowed by the portfolio's token policy: /, '')}.`;
}
