import { z } from 'zod';

/** What the schema says about one key: its metadata (`.meta({ example })`) merged over its wrappers. */
export interface KeyMeta {
  example?: string;
  description?: string;
}

type AnySchema = z.core.$ZodType;

function def(s: AnySchema): { type: string; [k: string]: unknown } {
  return s._zod.def as unknown as { type: string; [k: string]: unknown };
}

/** Peels default/prefault/optional/pipe wrappers, collecting the metadata found on the way. */
export function unwrap(s: AnySchema): { inner: AnySchema; meta: KeyMeta } {
  const meta: KeyMeta = {};
  let cur = s;
  for (;;) {
    Object.assign(meta, Object.fromEntries(Object.entries(z.globalRegistry.get(cur as z.ZodType) ?? {}).filter(([k]) => !(k in meta))));
    const d = def(cur);
    if (d.type === 'default' || d.type === 'prefault' || d.type === 'optional' || d.type === 'nullable') cur = d.innerType as AnySchema;
    else if (d.type === 'pipe') cur = d.in as AnySchema;
    else return { inner: cur, meta };
  }
}

/** The schema of the key at `path` (objects, arrays and the matching branch of unions), if any. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let cur: AnySchema | undefined = root;
  for (const key of path) {
    if (!cur) return undefined;
    cur = child(unwrap(cur).inner, key);
  }
  return cur;
}

function child(s: AnySchema, key: PropertyKey): AnySchema | undefined {
  const d = def(s);
  if (d.type === 'object') return (d.shape as Record<PropertyKey, AnySchema>)[key];
  if (d.type === 'array') return typeof key === 'number' ? (d.element as AnySchema) : undefined;
  if (d.type === 'union') {
    for (const o of d.options as AnySchema[]) {
      const c = child(unwrap(o).inner, key);
      if (c) return c;
    }
  }
  return undefined;
}
