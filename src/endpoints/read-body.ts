import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

export type BodyKind = 'json' | 'form';
/** A parsed body: a JSON object as is, or form fields as strings. */
export type Fields = Record<string, unknown>;

/** Reads the whole body, refusing (413) past `limit` bytes, by Content-Length or by counting. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new GatewayError('payload_too_large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        req.off('data', onData);
        req.pause();
        reject(new GatewayError('payload_too_large'));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new GatewayError('validation_failed', 'request aborted')));
  });
}

/**
 * Reads and parses a body of one of the `accepted` kinds. An empty body is `{}`.
 * Form parameters must not repeat (RFC 6749 §3.1); a JSON body must be an object.
 */
export async function readFields(req: IncomingMessage, limit: number, accepted: readonly BodyKind[]): Promise<Fields> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' && accepted.includes('json')) return parseJson(body);
  if (type === 'application/x-www-form-urlencoded' && accepted.includes('form')) return parseForm(body);
  const names = accepted.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ');
  throw new GatewayError('validation_failed', `content-type: expected ${names}`);
}

function parseJson(body: Buffer): Fields {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('validation_failed', 'body: not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('validation_failed', 'body: expected a JSON object');
  return v as Fields;
}

function parseForm(body: Buffer): Fields {
  const out: Fields = Object.create(null) as Fields;
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
    if (k in out) throw new GatewayError('validation_failed', `${k}: given more than once`);
    out[k] = v;
  }
  return out;
}
