// Rows do not disturb each other: while one row is measured, every other server child of the
// session (idle gateways and forwarders, all pinned to the same CPU) is stopped with SIGSTOP and
// continued before its own row. An idle Node process still wakes up for its timers (prom-client's
// event-loop sampler, undici's and the gateway's housekeeping), and a gateway that was just
// measured still flushes and collects garbage: with a dozen of them beside the measured one, that
// is CPU time and cache taken from the row, which /proc/stat cannot tell from the row's own.
import { withDescendants } from './cpu-watch.mjs';

/** Targets that always run: the upstream every row goes through. */
const ALWAYS = new Set(['upstream']);

/** The processes a target's requests cost (nginx rows: nginx and the decision gateway); rounds.mjs counts their CPU. */
export function rootsOf(target) {
  return target.cpuPids ? target.cpuPids() : [target.info.child.pid];
}

function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // it ended: nothing to stop or continue
    }
  }
}

/** Continues `active` (and what it runs through) and stops every other target's process tree. */
export function restAllBut(session, active) {
  if (process.platform !== 'linux') return;
  const running = new Set(withDescendants(rootsOf(active)));
  const others = Object.entries(session.targets).filter(([name, t]) => !ALWAYS.has(name) && t !== active && t.info);
  const resting = withDescendants(others.flatMap(([, t]) => rootsOf(t))).filter((pid) => !running.has(pid));
  signal(running, 'SIGCONT');
  signal(resting, 'SIGSTOP');
}

/** Every target runs again (before the memory phase, scrapes and the session's SIGTERMs). */
export function wakeAll(session) {
  if (process.platform !== 'linux') return;
  signal(withDescendants(Object.values(session.targets).filter((t) => t.info).flatMap(rootsOf)), 'SIGCONT');
}
