/**
 * Items gathered during one turn of the event loop and handed over together at its end
 * (`setImmediate`): the access log's lines, the token validator's cache misses. Work done in one
 * pass per turn runs with its code and data warm in the CPU's caches, where one item at a time it
 * ran between the sockets' work and the upstream's turns on a shared core (bench/RESULTS.md,
 * "Where the time goes", items 5 and 6).
 */
export class TurnBatch<T> {
  private items: T[] = [];

  constructor(private readonly run: (items: T[]) => void) {}

  add(item: T): void {
    if (this.items.push(item) === 1) setImmediate(this.flush);
  }

  /** Hands over what is gathered now (a stop does, before the turn ends); nothing when empty. */
  readonly flush = (): void => {
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.run(items);
  };
}
