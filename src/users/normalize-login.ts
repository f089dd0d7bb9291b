/**
 * The one form in which logins are compared and counted (the users file, the failed-login
 * budgets): Unicode NFKC, so full-width letters, ligatures and other compatibility spellings fold
 * to their plain form, then lower case, then NFKC again (lower-casing can undo normalisation,
 * e.g. U+0130). Two spellings that reach the same account must draw from the same budget.
 */
export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').toLowerCase().normalize('NFKC');
}
