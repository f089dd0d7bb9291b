import type { Logger } from '../log.js';

/** Runs `task` every `ms` until the returned function is called; never keeps the process alive. */
export interface Timers {
  every(ms: number, task: () => void): () => void;
}

export const systemTimers: Timers = {
  every(ms, task) {
    const handle = setInterval(task, ms);
    handle.unref();
    return () => clearInterval(handle);
  },
};

interface Task {
  ms: number;
  run: () => unknown;
  /** Logged (warn) with the error when a run throws or rejects. */
  failure: string;
}

/**
 * The gateway's periodic work, in one place: each part registers its tasks while it is built;
 * nothing runs before `start()`, nothing after `stop()`. A failing run is logged and the next
 * one comes as usual: housekeeping never ends the process.
 */
export class Housekeeping {
  private readonly tasks: Task[] = [];
  private stops: (() => void)[] = [];

  constructor(private readonly timers: Timers, private readonly log: Logger) {}

  every(ms: number, run: () => unknown, failure: string): void {
    this.tasks.push({ ms, run, failure });
  }

  start(): void {
    this.stops = this.tasks.map((t) => this.timers.every(t.ms, () => this.runOnce(t)));
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private runOnce(t: Task): void {
    try {
      const r = t.run();
      if (r instanceof Promise) r.catch((err: unknown) => this.log.warn({ err: String(err) }, t.failure));
    } catch (err) {
      this.log.warn({ err: String(err) }, t.failure);
    }
  }
}
