import { createHmac } from 'node:crypto';
import type { OutboxEvent } from '../store/types.js';

/**
 * One webhook request as Standard Webhooks (https://www.standardwebhooks.com) defines it: the body
 * `{type, timestamp, data}`, and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
 * keyed with the secret's base64 part (after `whsec_`).
 */
export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

/** The payload: `_at` numbers (ms) become ISO 8601 strings, as `timestamp` is. */
function webhookBody(e: OutboxEvent): string {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.data)) data[k] = k.endsWith('_at') && typeof v === 'number' ? new Date(v).toISOString() : v;
  return JSON.stringify({ type: e.type, timestamp: new Date(e.at).toISOString(), data });
}

/** `sentAtSeconds`: the attempt's wall-clock time (the receiver checks it against its own clock). */
export function signedRequest(e: OutboxEvent, secret: string, sentAtSeconds: number): WebhookRequest {
  const body = webhookBody(e);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${e.id}.${sentAtSeconds}.${body}`).digest('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': e.id,
      'webhook-timestamp': String(sentAtSeconds),
      'webhook-signature': `v1,${signature}`,
    },
  };
}

/**
 * POSTs it (fetch, Node's undici): true on a 2xx answer within `timeoutMs`. Redirects are not
 * followed (a 3xx is a failure: the configured URL is the receiver). Never rejects.
 */
export async function postWebhook(url: string, req: WebhookRequest, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}
