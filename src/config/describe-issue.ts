import type { z } from 'zod';
import { schemaAt, unwrap } from './schema-walk.js';

type Issue = z.core.$ZodIssue;

/**
 * One zod issue in words an operator can act on: the expected shape, and the key's example
 * (`.meta({ example })` in schema.ts) where one helps. zod's generic "Invalid input" never
 * reaches the operator: the schema's own message wins, else one is built from the issue.
 */
export function describeIssue(root: z.core.$ZodType, issue: Issue): string {
  const example = exampleOf(root, issue);
  const text = ownMessage(issue) ?? generic(issue);
  return example && !text.includes('e.g.') ? `${text}, e.g. ${example}` : text;
}

function exampleOf(root: z.core.$ZodType, issue: Issue): string | undefined {
  if (issue.code === 'unrecognized_keys') return undefined;
  const s = schemaAt(root, issue.path);
  return s ? unwrap(s).meta.example : undefined;
}

/** A message written in schema.ts (zod's defaults start with "Invalid", "Too" or "Unrecognized"). */
function ownMessage(issue: Issue): string | undefined {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message) ? undefined : issue.message;
}

function generic(issue: Issue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return (issue as { input?: unknown }).input === undefined && /received undefined/.test(issue.message)
        ? `required: expected ${article(issue.expected)}`
        : `expected ${article(issue.expected)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `expected ${issue.origin === 'string' ? 'at least ' + String(issue.minimum) + ' characters' : issue.origin === 'array' ? 'at least ' + String(issue.minimum) + ' entries' : 'a value ≥ ' + String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.origin === 'string' ? 'at most ' + String(issue.maximum) + ' characters' : issue.origin === 'array' ? 'at most ' + String(issue.maximum) + ' entries' : 'a value ≤ ' + String(issue.maximum)}`;
    case 'invalid_union': {
      const opts = (issue as { options?: unknown[] }).options;
      if (opts) return `expected one of ${opts.map((o) => JSON.stringify(o)).join(', ')}`;
      // Each branch failed: name what each branch wanted ("*" or a list).
      const wanted = issue.errors.map((branch) => branch[0] ? generic(branch[0]).replace(/^expected /, '') : 'another value');
      return `expected ${[...new Set(wanted)].join(' or ')}`;
    }
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? 'a value matching ' + String((issue as { pattern?: string }).pattern) : 'a valid ' + issue.format}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping (key: value)';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
