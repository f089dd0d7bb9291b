import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkSync } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source-files.js';

/**
 * Nothing an outside party sends may meet a backtracking regular expression with a super-linear
 * worst case (one such pattern let a 300-byte SAML POST block the event loop for seconds). So every
 * regular expression in src/ is checked, whether or not it sees request data today: the TypeScript
 * compiler finds every literal (`/.../flags`) and every `new RegExp('literal', 'flags')`, and
 * recheck (automaton analysis with a fuzzing fallback) must call each one 'safe'. A 'vulnerable'
 * or 'unknown' verdict fails with the file and line, unless the pattern is in ALLOWED below with
 * the reason it cannot be reached by outside input.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** `file:line` → why this pattern never sees outside input. Keep it empty if at all possible. */
const ALLOWED: Readonly<Record<string, string>> = {};

interface Found { where: string; source: string; flags: string }

function regexesIn(file: string): Found[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const where = (n: ts.Node) => `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const lit = n.getText(sf);
      const end = lit.lastIndexOf('/');
      out.push({ where: where(n), source: lit.slice(1, end), flags: lit.slice(end + 1) });
    } else if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp') {
      const [src, flags] = n.arguments ?? [];
      if (src !== undefined && ts.isStringLiteralLike(src)) {
        out.push({ where: where(n), source: src.text, flags: flags !== undefined && ts.isStringLiteralLike(flags) ? flags.text : '' });
      } else {
        // A pattern built at runtime cannot be checked here: it must not exist in src/.
        out.push({ where: where(n), source: '', flags: 'dynamic' });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const found = tsFiles(SRC).flatMap(regexesIn);

describe('every regular expression in src/ is free of catastrophic backtracking (recheck)', () => {
  it('finds the regular expressions (the scan itself works)', () => {
    expect(found.length).toBeGreaterThan(100);
    expect(found.some((f) => f.where.startsWith('src/users/sso/saml-xml-guards.ts'))).toBe(true);
  });

  it('no pattern is built from a runtime string', () => {
    expect(found.filter((f) => f.flags === 'dynamic' && ALLOWED[f.where] === undefined).map((f) => f.where)).toEqual([]);
  });

  it('recheck calls each one safe', () => {
    const bad: string[] = [];
    for (const f of found) {
      if (f.flags === 'dynamic' || ALLOWED[f.where] !== undefined) continue;
      const d = checkSync(f.source, f.flags, { timeout: 10_000 });
      if (d.status !== 'safe') {
        const detail = d.status === 'vulnerable' ? `${d.complexity.type}, attack ${JSON.stringify(d.attack.pattern)}` : d.error.kind;
        bad.push(`${f.where} /${f.source}/${f.flags}: ${d.status} (${detail})`);
      }
    }
    expect(bad).toEqual([]);
  }, 300_000);

  it('every allow-listed place still holds a regular expression (no stale entries)', () => {
    for (const where of Object.keys(ALLOWED)) expect(found.map((f) => f.where)).toContain(where);
  });
});
