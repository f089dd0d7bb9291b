import { api, ApiError, describeError, setCsrfToken } from './api.js';
import { field, h, on } from './dom.js';

export interface SessionInfo {
  login: string;
  userId: string;
  companyId: string;
  manager: boolean;
  csrfToken: string;
  idleMinutes: number;
  expiresAt: string;
}

/**
 * The sign-in form (login + password against the gateway's user directory). `notice` explains
 * why it is shown again (session expired). Resolves once signed in; the password field is
 * emptied whatever happens.
 */
export function signInForm(onSignedIn: (s: SessionInfo) => void, notice?: string): HTMLElement {
  const login = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'sign-in', novalidate: true, 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    notice ? h('p', { class: 'notice' }, notice) : null,
    field('Login', login).wrap,
    field('Password', password).wrap,
    message,
    submit,
  );
  on(form, 'submit', (e) => {
    e.preventDefault();
    message.textContent = '';
    if (login.value.trim() === '' || password.value === '') {
      message.textContent = 'Enter your login and your password.';
      (login.value.trim() === '' ? login : password).focus();
      return;
    }
    submit.disabled = true;
    api<SessionInfo>('POST', 'session', { login: login.value.trim(), password: password.value }, { quietSessionLoss: true })
      .then((s) => {
        setCsrfToken(s.csrfToken);
        onSignedIn(s);
      })
      .catch((err: unknown) => {
        message.textContent = describeError(err);
        if (err instanceof ApiError && err.code === 'login_failed') password.focus();
      })
      .finally(() => {
        password.value = '';
        submit.disabled = false;
      });
  });
  return form;
}
