/** Injected time source (STYLE habit 5): tests pass a fake, nothing patches Date. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
