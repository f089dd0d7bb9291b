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
  /** `password`, or the SSO provider's name. */
  signedInWith: string;
  /** identity.upstream: basic: generating a token asks for the password again. */
  confirmPassword?: boolean;
}

interface SignInOptions {
  password: boolean;
  providers: { name: string; displayName: string; url: string }[];
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
  const sso = h('div', { class: 'sso' });
  const form = h('form', { class: 'sign-in', novalidate: true, 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', { class: 'lead' }, 'Highlight access tokens: personal tokens that let your scripts and the Highlight CLI call the CAST Highlight API as you, without your password.'),
    notice ? h('p', { class: 'notice' }, notice) : null,
    sso,
    field('Login', login).wrap,
    field('Password', password).wrap,
    message,
    submit,
  );
  // The SSO buttons (filled below) are links: a top-level navigation to the provider and back (src/portal/sso-endpoints.ts).
  api<SignInOptions>('GET', 'sign-in-options', undefined, { quietSessionLoss: true })
    .then((o) => {
      for (const p of o.providers) sso.append(h('a', { href: p.url, class: 'button secondary' }, `Sign in with ${p.displayName}`));
      if (!o.password) {
        for (const el of form.querySelectorAll('.field, button[type=submit]')) el.remove();
        if (o.providers.length === 0) message.textContent = 'No way to sign in is configured.';
      }
    })
    .catch(() => undefined); // the password form still works
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
