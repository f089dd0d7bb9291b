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
 * spec: { url, connections, durationS, headers?, clientRequests? (from buildClientRequests) }.
 * Returns { requests, durationS, rps, status: {code: n}, errors, timeouts, latencies }.
 */
export async function runLoad(spec) {
  const latencies = new Latencies();
  let next = 0;
  const opts = {
    url: spec.url + PATH,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.durationS,
    headers: spec.headers ?? {},
    timeout: 10,
  };
  if (spec.clientRequests) {
    const lists = spec.clientRequests;
    opts.setupClient = (client) => client.setRequests(lists[next++ % lists.length]);
  }
  const instance = autocannon(opts);
  instance.on('response', (_client, _status, _bytes, ms) => latencies.record(ms));
  const r = await instance;
  const status = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) status[code] = count;
  const durationS = r.duration || spec.durationS;
  return {
    requests: r.requests.total, durationS, rps: r.requests.total / durationS,
    status, errors: r.errors, timeouts: r.timeouts, latencies,
  };
}
