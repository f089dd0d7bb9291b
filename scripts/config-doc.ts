import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { unwrap } from '../src/config/schema-walk.js';

/**
 * docs/CONFIG.md, generated: types and defaults from the zod schema itself, each key's
 * description from the comment written above it in src/config/schema.ts (the one place keys are
 * documented). A build-time tool, not shipped in dist/: test/config/config-doc.test.ts keeps the
 * file equal to this output, and `npx vitest run test/config/config-doc.test.ts --update` rewrites it.
 */
export function renderConfigDoc(
  schemaSource = readFileSync(new URL('../src/config/schema.ts', import.meta.url), 'utf8'),
  ssoSource = readFileSync(new URL('../src/config/sso-schema.ts', import.meta.url), 'utf8'),
): string {
  const comments = commentsByPath(schemaSource, ssoSource);
  const rows: Row[] = [];
  walk(configSchema, [], rows, undefined);
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by scripts/config-doc.ts (`npx vitest run test/config/config-doc.test.ts --update`); do not edit by hand. -->',
    '',
    'Every key of the YAML config (`hlgw serve --config <file>`), its type, its default and what it is for.',
    'Values may read the environment: `${VAR}` or `${VAR:-default}`; a value from the environment takes',
    'the type of its key. `hlgw check-config` validates a file and the files it names.',
    '',
  ];
  let section = '';
  for (const r of rows) {
    const top = r.path.split(/[.\s]/)[0]!;
    if (top !== section) {
      section = top;
      out.push('', `## \`${top}\``, '', comments.get(top) ?? '', '', '| key | type | default | description |', '| --- | --- | --- | --- |');
    }
    if (r.path.replace(/ \([^()]*\)$/, '') === top) continue;
    const note = comments.get(r.path) ?? comments.get(r.path.replace(/ \([^()]*\)$/, '')) ?? '';
    out.push(`| \`${r.path}\` | ${cell(r.type)} | ${r.default === undefined ? '' : `\`${JSON.stringify(r.default)}\``} | ${cell(note)} |`);
  }
  return out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n') + '\n';
}

interface Row { path: string; type: string; default?: unknown }

type AnySchema = z.core.$ZodType;
const defOf = (s: AnySchema) => s._zod.def as unknown as { type: string; [k: string]: unknown };

/** A list of mappings (or of a discriminated union of them): its items' keys get rows of their own, under `key[]`. */
function isListOfMappings(d: { type: string; [k: string]: unknown }): boolean {
  if (d.type !== 'array') return false;
  const e = defOf(unwrap(d.element as AnySchema).inner);
  return e.type === 'object' || (e.type === 'union' && Boolean(e.discriminator));
}

/** `skip`: keys of this mapping already given rows (those every branch of a union shares). */
function walk(s: AnySchema, path: string[], rows: Row[], variant: string | undefined, skip: ReadonlySet<string> = new Set()): void {
  const d0 = defOf(s);
  const dflt = d0.type === 'default' || d0.type === 'prefault' ? (d0.defaultValue as unknown) : undefined;
  const { inner } = unwrap(s);
  const d = defOf(inner);
  const name = path.join('.') + (variant ? ` (${variant})` : '');
  if (d.type === 'object') {
    if (path.length > 0) rows.push({ path: name, type: 'mapping' });
    for (const [k, v] of Object.entries(d.shape as Record<string, AnySchema>)) if (!skip.has(k)) walk(v, [...path, k], rows, variant);
    return;
  }
  if (d.type === 'union' && d.discriminator) {
    const disc = d.discriminator as string;
    const shapes = (d.options as AnySchema[]).map((o) => defOf(unwrap(o).inner).shape as Record<string, AnySchema>);
    // A key every branch defines with the very same schema (users.sso) is documented once, without a branch.
    const shared = new Set(Object.keys(shapes[0]!).filter((k) => k !== disc && shapes.every((sh) => sh[k] === shapes[0]![k])));
    (d.options as AnySchema[]).forEach((o, i) => {
      const value = (defOf(unwrap(shapes[i]![disc]!).inner).values as unknown[])[0];
      walk(o, path, rows, `${disc}: ${String(value)}`, shared);
    });
    for (const k of shared) walk(shapes[0]![k]!, [...path, k], rows, variant);
    if (dflt !== undefined) rows.find((r) => r.path.startsWith(`${path.join('.')}.${disc}`))!.default = (dflt as Record<string, unknown>)[disc];
    return;
  }
  if (isListOfMappings(d)) {
    rows.push({ path: name, type: 'list of mappings, keys below', ...(Array.isArray(dflt) ? { default: dflt } : {}) });
    walk(d.element as AnySchema, [...path.slice(0, -1), `${path.at(-1)!}[]`], rows, variant);
    return;
  }
  rows.push({ path: name, type: typeName(inner), ...(dflt === undefined || typeof dflt === 'object' ? {} : { default: dflt }), ...(Array.isArray(dflt) ? { default: dflt } : {}) });
}

function typeName(s: AnySchema): string {
  const d = defOf(unwrap(s).inner);
  switch (d.type) {
    case 'enum': return Object.values(d.entries as Record<string, string>).map((v) => `\`${v}\``).join(' | ');
    case 'literal': return (d.values as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
    case 'union': return (d.options as AnySchema[]).map(typeName).join(' or ');
    case 'array': return `list of ${typeName(d.element as AnySchema)}`;
    case 'object': return `{ ${Object.keys(d.shape as object).join(', ')} }`;
    case 'record': return `mapping of ${typeName(d.keyType as AnySchema)} to ${typeName(d.valueType as AnySchema)}`;
    default: return d.type;
  }
}

function cell(s: string): string {
  return s.replace(/\s+/g, (ws) => (ws.includes('\n') ? ' ' : ws)).replace(/\|/g, '\\|');
}

/**
 * key path → the JSDoc above it, read from schema.ts (and sso-schema.ts, whose consts it uses) by
 * following their object literals and consts. A key inside a union's branch is recorded as
 * `path (branch)` for the innermost branch, and as `path` too (a key all branches share).
 */
function commentsByPath(...sources: string[]): Map<string, string> {
  const consts = new Map<string, ts.Expression>();
  const docOf = (n: ts.Node) => ts.getJSDocCommentsAndTags(n).map((j) => ts.getTextOfJSDocComment((j as ts.JSDoc).comment) ?? '').join(' ').trim();
  for (const source of sources) {
    ts.createSourceFile('schema.ts', source, ts.ScriptTarget.ES2022, true).forEachChild((n) => {
      // A schema built by a function (`failedLoginBudget(10, 300)`): what it returns.
      if (ts.isFunctionDeclaration(n) && n.name && n.body) {
        const ret = n.body.statements.find(ts.isReturnStatement)?.expression;
        if (ret) consts.set(n.name.text, ret);
      }
      if (!ts.isVariableStatement(n)) return;
      for (const d of n.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer) {
          consts.set(d.name.text, d.initializer);
          const doc = docOf(n);
          if (doc) consts.set(`doc:${d.name.text}`, ts.factory.createStringLiteral(doc));
        }
      }
    });
  }
  const out = new Map<string, string>();
  /** The branch of a discriminated union, as the rows name it: `source: file` (a branch may be a const). */
  const variantOf = (e: ts.Node): string | undefined => {
    let found: string | undefined;
    const scan = (n: ts.Node): void => {
      if (found) return;
      if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name)) {
        const m = /^z\.literal\('([^']+)'\)/.exec(n.initializer.getText());
        if (m) found = `${n.name.text}: ${m[1]}`;
      }
      n.forEachChild(scan);
    };
    scan(ts.isIdentifier(e) ? consts.get(e.text) ?? e : e);
    return found;
  };
  let variant: string | undefined;
  const visit = (e: ts.Expression, path: string[], seen: Set<string>): void => {
    if (ts.isIdentifier(e)) {
      const target = consts.get(e.text);
      const doc = consts.get(`doc:${e.text}`);
      // A section's text is the comment above its schema const (`/** ... */ const serverSchema`);
      // so is a list item's (`z.array(webhookSchema)`: the `key[]` row).
      if (doc && ts.isStringLiteral(doc) && (path.length === 1 || path.at(-1)!.endsWith('[]')) && !out.has(path.join('.'))) out.set(path.join('.'), doc.text);
      if (target && !seen.has(e.text)) visit(target, path, new Set([...seen, e.text]));
      return;
    }
    if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
        const plain = [...path, p.name.text].join('.');
        const doc = docOf(p);
        if (doc) {
          out.set(plain + (variant ? ` (${variant})` : ''), doc);
          if (!out.has(plain)) out.set(plain, doc);
        }
        visit(p.initializer, [...path, p.name.text], seen);
      }
      return;
    }
    if (ts.isArrayLiteralExpression(e)) return e.elements.forEach((x) => visit(x as ts.Expression, path, seen));
    if (ts.isCallExpression(e)) {
      if (ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'discriminatedUnion') {
        const branches = e.arguments[1];
        if (branches && ts.isArrayLiteralExpression(branches)) {
          const outer = variant;
          for (const b of branches.elements) {
            variant = variantOf(b);
            // A branch given as a const (`oidcProviderSchema`): the comment above it describes the branch's row.
            const doc = ts.isIdentifier(b) ? consts.get(`doc:${b.text}`) : undefined;
            if (doc && ts.isStringLiteral(doc)) out.set(`${path.join('.')} (${variant ?? ''})`, doc.text);
            visit(b as ts.Expression, path, seen);
          }
          variant = outer;
        }
        return;
      }
      // The items of a list are `key[]` (the rows' name for them).
      if (ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'array' && path.length > 0) {
        for (const a of e.arguments) visit(a, [...path.slice(0, -1), `${path.at(-1)!}[]`], seen);
        return;
      }
      if (ts.isPropertyAccessExpression(e.expression)) visit(e.expression.expression, path, seen);
      else if (ts.isIdentifier(e.expression)) visit(e.expression, path, seen);
      for (const a of e.arguments) if (ts.isObjectLiteralExpression(a) || ts.isArrayLiteralExpression(a) || ts.isIdentifier(a) || ts.isCallExpression(a)) visit(a, path, seen);
      return;
    }
    if (ts.isPropertyAccessExpression(e)) visit(e.expression, path, seen);
  };
  visit(consts.get('configSchema')!, [], new Set());
  return out;
}
