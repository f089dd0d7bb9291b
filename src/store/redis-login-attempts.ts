import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';
import type { LoginBudget } from './types.js';

/** ioredis with the reserve script defined (src/store/redis-store.ts defines it once per connection). */
export interface LoginScriptedRedis extends Redis {
  hlgwReserveLogin(key: string, now: string, windowMs: string, max: string, member: string): Promise<number>;
}

/**
 * The failed-login budgets in Redis. Each budget (a login, an address) is its own key with its
 * own hash tag, reserved by one atomic script, so a budget can never hand out more than `max`
 * slots, across workers and instances. Several budgets go in one pipeline (one round trip); if
 * one refuses, the slots the others gave are taken back. That is not one transaction across
 * budgets (in Redis Cluster they are in different slots): two logins racing for the last slot of
 * the same two budgets may both be refused once, never both admitted.
 */
export async function reserveLogin(r: LoginScriptedRedis, keys: RedisKeys, member: string, budgets: readonly LoginBudget[], now: number): Promise<number> {
  const p = r.pipeline() as unknown as LoginScriptedRedis;
  for (const b of budgets) p.hlgwReserveLogin(keys.loginAttempts(b.key), String(now), String(b.windowMs), String(b.max), member);
  const waits = results<number>(await (p as unknown as ReturnType<Redis['pipeline']>).exec());
  const wait = Math.max(0, ...waits);
  if (wait > 0) {
    const given = budgets.filter((_, i) => waits[i] === 0);
    if (given.length > 0) await settleLogin(r, keys, given.map((b) => ({ key: b.key, member })), []);
  }
  return wait;
}

export async function settleLogin(r: Redis, keys: RedisKeys, release: readonly { key: string; member: string }[], clear: readonly string[]): Promise<void> {
  if (release.length === 0 && clear.length === 0) return;
  const p = r.pipeline();
  for (const x of release) p.zrem(keys.loginAttempts(x.key), x.member);
  for (const k of clear) p.del(keys.loginAttempts(k));
  results(await p.exec());
}

function results<T>(res: [Error | null, unknown][] | null): T[] {
  if (res === null) throw new Error('redis pipeline aborted');
  return res.map(([err, v]) => {
    if (err) throw err;
    return v as T;
  });
}
