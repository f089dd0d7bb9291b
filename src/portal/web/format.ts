import { h } from './dom.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as `2026-12-04 21:40` in the user's time zone (short, one line, the same order everywhere); `—` for none. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `when()` in a <time> element: the exact instant in `datetime` and in a tooltip. */
export function timeOf(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: new Date(iso).toISOString() }, when(iso));
}

/** "1,440 minutes" → "1 day"; with one decimal below 10 days. */
export function minutesAsDays(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes <= 0) return '';
  const days = minutes / 1440;
  const shown = days >= 10 ? Math.round(days).toLocaleString() : (Math.round(days * 10) / 10).toLocaleString();
  return `${shown} ${shown === '1' ? 'day' : 'days'}`;
}

/** The first 8 characters of a token id: enough to tell tokens apart in a table. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/** Characters as a person counts them (a non-ASCII pass phrase counts like the server does). */
export function charCount(s: string): number {
  return [...s].length;
}

/** Why a token stopped working, from the API's `revoked_reason` (src/endpoints/openapi-schemas.ts TokenView). */
const REVOKED_BECAUSE: Readonly<Record<string, string>> = {
  revoked: 'by owner or manager',
  renewed: 'renewed',
  reparented: 'company moved',
  reset: 'tokens switched off',
  passphrase_changed: 'pass phrase changed',
  denied: 'denied by operator',
};

/** A token's status as a badge: `Active`, `Expired`, or `Revoked: <why>`. */
export function statusBadge(t: { status: string; revoked_reason?: string | null }): HTMLElement {
  const why = t.status === 'revoked' && t.revoked_reason ? `: ${REVOKED_BECAUSE[t.revoked_reason] ?? t.revoked_reason}` : '';
  return h('span', { class: `badge ${t.status}` }, `${t.status[0]!.toUpperCase()}${t.status.slice(1)}${why}`);
}
