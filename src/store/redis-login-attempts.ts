import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import type { LoginBudget } from './types.js';

/** A pipeline with the reserve script defined (src/store/redis-store.ts defines it once per client). */
interface LoginScripted extends ChainableCommander {
  hlgwReserveLogin(key: string, now: string, windowMs: string, max: string, member: string): LoginScripted;
}

/**
 * The failed-login budgets in Redis. Each budget (a login, an address) is its own key with its
 * own hash tag, reserved by one atomic script, so a budget can never hand out more than `max`
 * slots, across workers and instances. Several budgets go out together (one pipeline on one
 * server, one per node on a Cluster: they are in different slots); if one refuses, the slots the
 * others gave are taken back. That is not one transaction across budgets: two logins racing for
 * the last slot of the same two budgets may both be refused once, never both admitted.
 * Not WAITed for (store.minReplicasAcked): a reservation lost in a failover gives an attacker one
 * more guess per budget, no acknowledged change is lost.
 */
export async function reserveLogin(conn: RedisConnection, keys: RedisKeys, member: string, budgets: readonly LoginBudget[], now: number): Promise<number> {
  const queue = (p: ChainableCommander, b: LoginBudget) =>
    void (p as LoginScripted).hlgwReserveLogin(keys.loginAttempts(b.key), String(now), String(b.windowMs), String(b.max), member);
  let waits: number[];
  if (!conn.isCluster) {
    waits = await conn.many<number>(budgets.length, (p, i) => queue(p, budgets[i]!));
  } else {
    // Budgets on different nodes run side by side, so a burst of attempts that the first (the
    // login's, the strictest) refuses would still fill the others for a moment and make them
    // refuse attempts the first admitted. One budget after the other, stopping at the first
    // refusal: only attempts holding the earlier slots ever take later ones.
    // After a refusal the later budgets are only read, for the wait (the later to free decides).
    waits = [];
    for (const b of budgets) {
      if (waits.some((w) => w > 0)) {
        waits.push(await peekWait(conn, keys, b, now));
        continue;
      }
      const [w] = await conn.many<number>(1, (p) => queue(p, b));
      waits.push(w!);
    }
  }
  const wait = Math.max(0, ...waits);
  if (wait > 0) {
    const given = budgets.filter((_, i) => waits[i] === 0);
    if (given.length > 0) await settleLogin(conn, keys, given.map((b) => ({ key: b.key, member })), []);
  }
  return wait;
}

export async function settleLogin(conn: RedisConnection, keys: RedisKeys, release: readonly { key: string; member: string }[], clear: readonly string[]): Promise<void> {
  const ops: ((p: ChainableCommander) => void)[] = [
    ...release.map((x) => (p: ChainableCommander) => void p.zrem(keys.loginAttempts(x.key), x.member)),
    ...clear.map((k) => (p: ChainableCommander) => void p.del(keys.loginAttempts(k))),
  ];
  await conn.many(ops.length, (p, i) => ops[i]!(p));
}

/** How long until `b` has a free slot at `now`, without reserving: the reserve script's answer, read only. */
async function peekWait(conn: RedisConnection, keys: RedisKeys, b: LoginBudget, now: number): Promise<number> {
  const [flat] = await conn.many<string[]>(1, (p) => void p.zrangebyscore(keys.loginAttempts(b.key), `(${now}`, '+inf', 'WITHSCORES'));
  const n = flat!.length / 2;
  return n < b.max ? 0 : Number(flat![(n - b.max) * 2 + 1]) - now;
}
