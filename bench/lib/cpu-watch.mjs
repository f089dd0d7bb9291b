// Busy CPU time of the whole machine versus the bench's own processes during a run, from
// /proc: on a shared machine, "foreign" CPU time (other processes) disturbs the numbers.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { livePids } from './children.mjs';

function machineBusyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = f;
  // irq and softirq (loopback networking) are not charged to any process: left out on both sides.
  const busy = user + nice + system;
  return { busy, steal, total: busy + idle + iowait + irq + softirq + steal };
}

function processTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** `roots` and every process below them (a gateway child's node:cluster workers are the bench's too). */
export function withDescendants(roots) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  const all = new Set(roots);
  for (const pid of all) for (const c of children.get(pid) ?? []) all.add(c);
  return [...all];
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * User + system CPU seconds of `roots` and their descendants (a gateway's node:cluster workers,
 * nginx's worker), from /proc/<pid>/stat; null off Linux. Read around each measured run.
 */
export function treeCpuSeconds(roots) {
  if (process.platform !== 'linux') return null;
  return withDescendants(roots).reduce((a, pid) => a + processTicks(pid), 0) / TICKS;
}

export function cpuSnapshot() {
  if (process.platform !== 'linux') return null;
  const pids = withDescendants([process.pid, ...livePids()]);
  return { m: machineBusyTicks(), own: Object.fromEntries(pids.map((p) => [p, processTicks(p)])) };
}

/** Share of all CPU time between two snapshots used by processes other than the bench's (%), and steal. */
export function foreignCpu(a, b) {
  if (!a || !b) return null;
  const total = b.m.total - a.m.total;
  if (total <= 0) return null;
  let own = 0;
  for (const [pid, t] of Object.entries(b.own)) own += t - (a.own[pid] ?? 0);
  const foreign = Math.max(0, b.m.busy - a.m.busy - own);
  return { foreignPct: (100 * foreign) / total, stealPct: (100 * (b.m.steal - a.m.steal)) / total };
}
