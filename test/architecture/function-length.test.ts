import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source-files.js';

/**
 * No function in src/ is longer than MAX_LINES: a longer one does several jobs, and its steps
 * belong in named helpers a reader can take one at a time. The TypeScript compiler finds every
 * function (declarations, methods, constructors, accessors, function expressions and arrows) and
 * counts the lines from its first to its last, nested functions included. Browser code under
 * src/portal/web/ is left out; a function that is one data literal goes in ALLOWED with its reason.
 */
const MAX_LINES = 80;
const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const WEB = join(SRC, 'portal', 'web') + sep;

/** `file:function` → why it may be longer. Keep it short. */
const ALLOWED: Readonly<Record<string, string>> = {
  'src/endpoints/openapi.ts:openApiDocument': 'a data literal: the OpenAPI document',
};

interface Found { where: string; name: string; lines: number }

type FunctionNode = ts.FunctionLikeDeclaration;

function isFunction(n: ts.Node): n is FunctionNode {
  return ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n)
    || ts.isSetAccessor(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n);
}

/** The name a reader would look for: its own, or that of the variable or property it is assigned to. */
function nameOf(n: FunctionNode, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(n)) return 'constructor';
  if (n.name !== undefined) return n.name.getText(sf);
  const p = n.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name !== undefined) return p.name.getText(sf);
  return '(anonymous)';
}

function functionsIn(file: string): Found[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunction(n) && n.body !== undefined) {
      const first = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      out.push({ where: `${relative(ROOT, file).split(sep).join('/')}:${first + 1}`, name: nameOf(n, sf), lines: last - first + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const found = tsFiles(SRC).filter((f) => !f.startsWith(WEB)).flatMap(functionsIn);
const key = (f: Found) => `${f.where.slice(0, f.where.lastIndexOf(':'))}:${f.name}`;

describe(`no function in src/ is longer than ${MAX_LINES} lines`, () => {
  it('finds the functions (the scan itself works)', () => {
    expect(found.length).toBeGreaterThan(500);
    expect(found.some((f) => f.where.startsWith('src/proxy/http-proxy-forwarder.ts') && f.name === 'createHttpProxyForwarder')).toBe(true);
    expect(found.some((f) => f.where.startsWith('src/portal/web/'))).toBe(false);
  });

  it('each allowed exception still exists (remove it from ALLOWED once it is split)', () => {
    expect(Object.keys(ALLOWED).filter((k) => !found.some((f) => key(f) === k && f.lines > MAX_LINES))).toEqual([]);
  });

  it(`every other function has at most ${MAX_LINES} lines`, () => {
    const long = found.filter((f) => f.lines > MAX_LINES && ALLOWED[key(f)] === undefined);
    expect(long.map((f) => `${f.where} ${f.name}: ${f.lines} lines`)).toEqual([]);
  });
});
