import type { OutboxEntry, OutboxEvent, TokenRecord } from './types.js';

/**
 * The `data` of a token event: public fields only, never the token, its credential or a secret.
 * The Redis renewal script (redis-scripts.ts INSERT_TOKEN_LUA) builds the same shape for the
 * tokens a renewal revokes.
 */
export function tokenEventData(r: TokenRecord & { name?: string; scopes?: string[] }, reason?: string): OutboxEvent['data'] {
  return {
    token_id: r.tokenId,
    ...(r.name === undefined ? {} : { name: r.name }),
    ...(r.scopes === undefined ? {} : { scopes: r.scopes }),
    user_id: r.userId,
    login: r.login,
    company_id: r.companyId,
    ...(reason === undefined ? {} : { reason }),
    expires_at: r.expiresAt,
  };
}

/** The `token.revoked` event of a token a renewal revoked (SQLite; the Redis script mirrors it). */
export function renewedEvent(idPrefix: string, r: TokenRecord, now: number): OutboxEvent {
  return { id: idPrefix + r.tokenId, type: 'token.revoked', at: now, companyId: r.companyId, data: tokenEventData(r, 'renewed') };
}

/** A new outbox entry as stored: no attempt yet, delivered nowhere. */
export function newEntryJson(event: OutboxEvent): string {
  return JSON.stringify({ event, attempts: 0, delivered: [] } satisfies OutboxEntry);
}

/** Reads a stored entry (a Lua-encoded empty `delivered` comes back as `{}`). */
export function parseEntry(json: string): OutboxEntry {
  const e = JSON.parse(json) as OutboxEntry;
  return { event: e.event, attempts: e.attempts, delivered: Array.isArray(e.delivered) ? e.delivered : [] };
}
