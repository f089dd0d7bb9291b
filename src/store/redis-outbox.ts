import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { newEntryJson, parseEntry } from './outbox-events.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { ENQUEUE_LUA_FN } from './redis-scripts.js';
import { tokenFromHash } from './redis-keys.js';
import type { OutboxEntry, OutboxEvent, TokenRecord } from './types.js';

/**
 * KEYS: outbox zset, entries hash. ARGV: now, lease end, limit. The due entries (at most limit)
 * move to the lease's end in the same step: another claimer sees them only once it runs out.
 */
const CLAIM_OUTBOX_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local e = redis.call('HGET', KEYS[2], id)
  if e then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = e
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`;

/** KEYS: outbox zset, entries hash. ARGV: id. */
const SETTLE_OUTBOX_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: outbox zset, entries hash. ARGV: id, due, entry JSON. Never brings back a settled entry. */
const DEFER_OUTBOX_LUA = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`;

/** KEYS: the (token, lead) mark, outbox zset, entries hash. ARGV: mark ttl, then one outbox triple. */
const ENQUEUE_ONCE_LUA = `${ENQUEUE_LUA_FN}
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
enqueue(KEYS[2], KEYS[3], 2, 4)
return 1
`;

interface OutboxScripted {
  hlgwClaimOutbox(zkey: string, hkey: string, now: string, leaseEnd: string, limit: string): Promise<string[]>;
  hlgwSettleOutbox(zkey: string, hkey: string, id: string): Promise<unknown>;
  hlgwDeferOutbox(zkey: string, hkey: string, id: string, due: string, json: string): Promise<unknown>;
  hlgwEnqueueOnce(mark: string, zkey: string, hkey: string, ttl: string, ...triple: string[]): Promise<number>;
}

/** Defines the outbox's scripts on the client (once, at open). */
export function defineOutboxScripts(r: Redis | Cluster): void {
  r.defineCommand('hlgwClaimOutbox', { numberOfKeys: 2, lua: CLAIM_OUTBOX_LUA });
  r.defineCommand('hlgwSettleOutbox', { numberOfKeys: 2, lua: SETTLE_OUTBOX_LUA });
  r.defineCommand('hlgwDeferOutbox', { numberOfKeys: 2, lua: DEFER_OUTBOX_LUA });
  r.defineCommand('hlgwEnqueueOnce', { numberOfKeys: 3, lua: ENQUEUE_ONCE_LUA });
}

/** The ARGV triples of events to queue (id, due = the change's time, entry JSON). */
export function outboxArgs(events: readonly OutboxEvent[]): string[] {
  return events.flatMap((e) => [e.id, String(e.at), newEntryJson(e)]);
}

/**
 * The Outbox role in Redis (src/store/types.ts). Each portfolio's outbox is in its slot (written
 * by the change's own script); a claim visits the portfolios with due entries, one script each.
 */
export class RedisOutbox {
  constructor(private readonly conn: RedisConnection, private readonly keys: RedisKeys) {}

  private get r(): OutboxScripted & (Redis | Cluster) {
    return this.conn.cmd as OutboxScripted & (Redis | Cluster);
  }

  claim(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    return this.conn.run(async () => {
      const ids = await this.r.smembers(this.keys.portfolios);
      const due = await this.conn.many<number>(ids.length, (p, i) => p.zcount(this.keys.outbox(ids[i]!), '-inf', String(now)));
      const out: OutboxEntry[] = [];
      for (const [i, c] of ids.entries()) {
        if (due[i] === 0 || out.length >= limit) continue;
        const got = await this.r.hlgwClaimOutbox(this.keys.outbox(c), this.keys.outboxEntries(c), String(now), String(now + leaseMs), String(limit - out.length));
        out.push(...got.map(parseEntry));
      }
      return out;
    });
  }

  async settle(entry: OutboxEntry): Promise<void> {
    const c = entry.event.companyId;
    await this.conn.run(() => this.r.hlgwSettleOutbox(this.keys.outbox(c), this.keys.outboxEntries(c), entry.event.id));
  }

  async defer(entry: OutboxEntry, dueAt: number): Promise<void> {
    const c = entry.event.companyId;
    await this.conn.run(() => this.r.hlgwDeferOutbox(this.keys.outbox(c), this.keys.outboxEntries(c), entry.event.id, String(dueAt), JSON.stringify(entry)));
  }

  depth(): Promise<number> {
    return this.conn.run(async () => {
      const ids = await this.r.smembers(this.keys.portfolios);
      const n = await this.conn.many<number>(ids.length, (p, i) => p.zcard(this.keys.outbox(ids[i]!)));
      return n.reduce((a, b) => a + b, 0);
    });
  }

  listExpiring(now: number, withinMs: number): Promise<TokenRecord[]> {
    return this.conn.run(async () => {
      const cs = await this.r.smembers(this.keys.portfolios);
      // Tokens expired since leave the index (they are never announced again).
      await this.conn.many(cs.length, (p, i) => p.zremrangebyscore(this.keys.expiry(cs[i]!), '-inf', String(now)));
      const ids = await this.conn.many<string[]>(cs.length, (p, i) => p.zrangebyscore(this.keys.expiry(cs[i]!), `(${now}`, String(now + withinMs)));
      const wanted = cs.flatMap((c, i) => ids[i]!.map((id) => [c, id] as const));
      const hashes = await this.conn.many<Record<string, string>>(wanted.length, (p: ChainableCommander, i) => p.hgetall(this.keys.token(wanted[i]![0], wanted[i]![1])));
      return hashes.flatMap((h) => { const t = tokenFromHash(h); return t && t.revokedAt === null ? [t] : []; });
    });
  }

  async enqueueOnce(mark: { tokenId: string; leadMinutes: number; keepUntil: number }, event: OutboxEvent): Promise<boolean> {
    const c = event.companyId;
    const ttl = Math.max(1, mark.keepUntil - event.at);
    const n = await this.conn.run(() => this.r.hlgwEnqueueOnce(
      this.keys.expiringMark(c, mark.tokenId, mark.leadMinutes), this.keys.outbox(c), this.keys.outboxEntries(c), String(ttl), ...outboxArgs([event]),
    ));
    return n === 1;
  }
}
