// One bounded autocannon run (in this process, pinned to the load CPU), with latencies kept
// at microsecond resolution (autocannon's own histogram rounds to whole milliseconds).
import autocannon from 'autocannon';

const PATH = '/bench';
const BUCKET_US = 1;
const MAX_US = 100_000;

/** Latency histogram: 1 µs buckets up to 100 ms, then an overflow list. Mergeable across rounds. */
export class Latencies {
  constructor() { this.buckets = new Uint32Array(MAX_US / BUCKET_US); this.over = []; this.count = 0; }
  record(ms) {
    const i = Math.floor((ms * 1000) / BUCKET_US);
    if (i < this.buckets.length) this.buckets[i]++; else this.over.push(ms);
    this.count++;
  }
  merge(o) {
    for (let i = 0; i < o.buckets.length; i++) this.buckets[i] += o.buckets[i];
    this.over.push(...o.over);
    this.count += o.count;
    return this;
  }
  /** Percentile in ms (upper edge of the bucket), or null when empty. */
  percentile(p) {
    if (this.count === 0) return null;
    const want = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= want) return ((i + 1) * BUCKET_US) / 1000;
    }
    const over = [...this.over].sort((a, b) => a - b);
    return over[Math.min(over.length - 1, want - seen - 1)];
  }
}

/** Per-connection request lists: connection i gets every n-th token from i, so no two connections send the same token. */
export function buildClientRequests(tokens, connections) {
  const lists = [];
  for (let c = 0; c < connections; c++) {
    const mine = tokens.length >= connections
      ? tokens.filter((_, j) => j % connections === c)
      : tokens.map((_, j) => tokens[(j + c) % tokens.length]);
    lists.push(mine.map((t) => ({ method: 'GET', path: PATH, headers: { authorization: `Bearer ${t}` } })));
  }
  return lists;
}

/**
 * spec: { url, connections, durationS, warmupS?, onMeasureStart?, onMeasureEnd?, headers?,
 * clientRequests? (from buildClientRequests) }.
 *
 * The warm-up is the first `warmupS` seconds of the same load, on the same connections: nothing
 * is counted before it ends. Measured from a second load-generator instance instead, each run
 * began with that instance's start-up (its clients' request buffers built, new connections, the
 * first requests one at a time), which the rows sending a list of tokens paid most: their lists
 * are built again at each start. `onMeasureStart` and `onMeasureEnd` run (synchronously) at the
 * window's edges, where the caller reads the CPU counters.
 * Returns { requests, durationS, rps, status: {code: n}, errors, timeouts, latencies } of the window.
 */
export async function runLoad(spec) {
  const latencies = new Latencies();
  const warmupS = spec.warmupS ?? 0;
  let next = 0;
  const opts = {
    url: spec.url + PATH,
    connections: spec.connections,
    pipelining: 1,
    // autocannon stops at its next one-second sample after the duration: the window ends before.
    duration: warmupS + spec.durationS + 1,
    headers: spec.headers ?? {},
    timeout: 10,
  };
  if (spec.clientRequests) {
    const lists = spec.clientRequests;
    opts.setupClient = (client) => client.setRequests(lists[next++ % lists.length]);
  }
  const instance = autocannon(opts);
  const status = {};
  let measuring = false;
  let requests = 0, errors = 0, timeouts = 0, t0 = 0, t1 = 0;
  let timer;
  const begin = () => {
    spec.onMeasureStart?.();
    t0 = performance.now();
    measuring = true;
    timer = setTimeout(end, spec.durationS * 1000);
  };
  const end = () => {
    clearTimeout(timer);
    if (!measuring) return;
    measuring = false;
    t1 = performance.now();
    spec.onMeasureEnd?.();
  };
  instance.on('start', () => {
    if (warmupS > 0) timer = setTimeout(begin, warmupS * 1000);
    else begin();
  });
  instance.on('response', (_client, code, _bytes, ms) => {
    if (!measuring) return;
    latencies.record(ms);
    requests++;
    status[code] = (status[code] ?? 0) + 1;
  });
  instance.on('reqError', (err) => {
    if (!measuring) return;
    // autocannon reports a timeout as this error (lib/run.js onTimeout); its own count spans the warm-up.
    if (err?.message === 'request timed out') timeouts++;
    else errors++;
  });
  await instance;
  // A load generator that ended early (every connection failed) closes the window where it stopped.
  if (t0 === 0) {
    clearTimeout(timer);
    begin();
  }
  end();
  const durationS = (t1 - t0) / 1000;
  return { requests, durationS, rps: requests / durationS, status, errors, timeouts, latencies };
}
