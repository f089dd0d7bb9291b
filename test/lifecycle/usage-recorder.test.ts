import { describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../src/lifecycle/usage-recorder.js';
import type { TokenUse } from '../../src/store/types.js';

/** The store side the recorder writes to: every batch it was given, and a switch to fail. */
class Batches {
  written: Map<string, TokenUse>[] = [];
  failing = false;
  async touchTokens(uses: ReadonlyMap<string, TokenUse>): Promise<void> {
    if (this.failing) throw new Error('store down');
    this.written.push(new Map(uses));
  }
  get all(): [string, TokenUse][] {
    return this.written.flatMap((m) => [...m]);
  }
}

const WINDOW = 60_000;

describe('UsageRecorder', () => {
  it('records the first use of a token in each window, with its address, and writes it at the next flush', async () => {
    let now = 1_000_000;
    const store = new Batches();
    const r = new UsageRecorder(store, () => now, (e) => { throw e; }, WINDOW);
    expect(r.wants('t1')).toBe(true);
    r.touch('t1', '10.0.0.1');
    expect(r.wants('t1')).toBe(false);
    now += 1_000;
    r.touch('t1', '10.0.0.2'); // same window: not recorded again
    r.touch('t2');
    await r.flush();
    expect(store.all).toEqual([['t1', { at: 1_000_000, ip: '10.0.0.1' }], ['t2', { at: 1_001_000, ip: null }]]);

    // Still the same window: nothing more to write, however often the tokens are used.
    now += 10_000;
    for (let i = 0; i < 100; i++) r.touch('t1', '10.0.0.3');
    await r.flush();
    expect(store.written).toHaveLength(1);

    // The window has passed (the flush that notices opens a new one): the next use is recorded.
    now = 1_000_000 + WINDOW;
    await r.flush();
    expect(r.wants('t1')).toBe(true);
    now += 5;
    r.touch('t1', '10.0.0.4');
    await r.flush();
    expect(store.written.at(-1)).toEqual(new Map([['t1', { at: 1_000_000 + WINDOW + 5, ip: '10.0.0.4' }]]));
  });

  it('keeps what the store refused for the next flush, and the newer time of the two', async () => {
    let now = 5_000;
    const store = new Batches();
    const errors: unknown[] = [];
    const r = new UsageRecorder(store, () => now, (e) => errors.push(e), WINDOW);
    r.touch('t1', '10.0.0.1');
    store.failing = true;
    await r.flush();
    expect(errors).toHaveLength(1);
    store.failing = false;
    await r.flush();
    expect(store.all).toEqual([['t1', { at: 5_000, ip: '10.0.0.1' }]]);
  });

  it('writes a large batch in chunks, none lost', async () => {
    const store = new Batches();
    const r = new UsageRecorder(store, () => 7, (e) => { throw e; }, WINDOW);
    for (let i = 0; i < 1_234; i++) r.touch(`t${i}`);
    await r.flush();
    expect(store.written.map((m) => m.size)).toEqual([500, 500, 234]);
    expect(new Set(store.all.map(([id]) => id)).size).toBe(1_234);
  });
});
