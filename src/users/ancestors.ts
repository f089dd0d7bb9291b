import { COMPANY_ID_RE } from '../token/format.js';

/** The longest chain of ancestors a user source may name (root included): deeper trees are refused. */
const MAX_ANCESTORS = 16;

/**
 * A user source's answer about where the user's company sits: the company ids from the
 * root down to the direct parent. Absent, null or empty: the company is a root. Pure; returns the
 * chain, or why it is refused (the caller turns that into its own sign-in error, and nothing is
 * learned): not a list, an id that is not a company id, deeper than MAX_ANCESTORS, or a company
 * named twice (itself included), which would make the parents a cycle.
 */
export function readAncestors(value: unknown, companyId: string): string[] | { refused: string } {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return { refused: 'is not a list of company ids' };
  if (value.length > MAX_ANCESTORS) return { refused: `names more than ${MAX_ANCESTORS} ancestors` };
  const ids = (value as unknown[]).map((v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v));
  if (!ids.every((v): v is string => typeof v === 'string' && COMPANY_ID_RE.test(v))) return { refused: 'contains something that is not a company id' };
  if (new Set([...ids, companyId]).size !== ids.length + 1) return { refused: 'names a company twice: the parents would form a cycle' };
  return ids;
}
