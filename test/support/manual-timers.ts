import type { Timers } from '../../src/gateway/housekeeping.js';

/** Timers a test fires by hand (GatewayDeps.timers): nothing runs unless `fire` says so. */
export class ManualTimers implements Timers {
  private readonly tasks = new Map<number, Set<() => void>>();

  every(ms: number, task: () => void): () => void {
    const set = this.tasks.get(ms) ?? new Set();
    this.tasks.set(ms, set);
    set.add(task);
    return () => set.delete(task);
  }

  /** Runs, once, every task registered (and not stopped) with this period; returns how many ran. */
  fire(ms: number): number {
    const due = [...(this.tasks.get(ms) ?? [])];
    for (const t of due) t();
    return due.length;
  }
}
