/** Dates shown in the user's locale and time zone; `—` for none. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
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
