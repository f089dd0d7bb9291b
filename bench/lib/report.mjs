// Turns measured runs into the table (markdown), the JSON record and the bench/RESULTS.md section.
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Latencies } from './load.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASELINES = ['bare-http-proxy', 'bare-undici', 'direct'];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One row from its rounds: req/s per round and median, pooled p50/p99, unexpected statuses. */
export function summarize(row, runs) {
  const expect = row.expect ?? '2xx';
  const ok = (code) => (expect === '2xx' ? code >= 200 && code < 300 : code === expect);
  const lat = runs.reduce((acc, r) => acc.merge(r.latencies), new Latencies());
  let unexpected = 0;
  const status = {};
  for (const r of runs) for (const [c, n] of Object.entries(r.status)) {
    status[c] = (status[c] ?? 0) + n;
    if (!ok(Number(c))) unexpected += n;
  }
  const cache = runs.every((r) => r.cache) ? runs.reduce((a, r) => ({ hit: a.hit + r.cache.hit, miss: a.miss + r.cache.miss, negative: a.negative + r.cache.negative }), { hit: 0, miss: 0, negative: 0 }) : null;
  const lookups = cache ? cache.hit + cache.miss + cache.negative : 0;
  return {
    name: row.name, what: row.what, expect,
    rounds: runs.map((r) => r.rps), medianRps: median(runs.map((r) => r.rps)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    p50Ms: lat.percentile(50), p99Ms: lat.percentile(99),
    status, unexpected,
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    cacheHitPct: lookups > 0 ? (100 * cache.hit) / lookups : null,
    negativeHitPct: lookups > 0 ? (100 * cache.negative) / lookups : null,
    cpuUsPerReq: runs.every((r) => r.serverCpuSeconds != null) && runs.length > 0
      ? (1e6 * runs.reduce((a, r) => a + r.serverCpuSeconds, 0)) / runs.reduce((a, r) => a + r.requests, 0) : null,
    foreignCpuMaxPct: runs.some((r) => r.cpu) ? Math.max(...runs.map((r) => r.cpu?.foreignPct ?? 0)) : null,
  };
}

/**
 * The row whose CPU per request a row's overhead is counted from: the bare forwarder of the same
 * kind (http-proxy rows: bare-http-proxy; nginx rows: nginx-bare; the rest: bare-undici); none for direct.
 */
function overheadBaseline(name) {
  if (name === 'direct') return null;
  if (name.includes('http-proxy')) return 'bare-http-proxy';
  if (name.startsWith('nginx-')) return 'nginx-bare';
  return 'bare-undici';
}

/** Ratios to the baselines (req/s), p99 against bare-undici's, and CPU µs/req over the row's baseline. */
export function addRatios(summaries) {
  const byName = new Map(summaries.map((s) => [s.name, s]));
  const base = Object.fromEntries(BASELINES.map((b) => [b, byName.get(b)?.medianRps]));
  const undiciP99 = byName.get('bare-undici')?.p99Ms;
  for (const s of summaries) {
    s.ratio = Object.fromEntries(BASELINES.map((b) => [b, base[b] ? s.medianRps / base[b] : null]));
    s.p99Ratio = undiciP99 && s.p99Ms != null ? s.p99Ms / undiciP99 : null;
    const b = byName.get(overheadBaseline(s.name));
    s.overheadUsPerReq = b && b.cpuUsPerReq != null && s.cpuUsPerReq != null ? s.cpuUsPerReq - b.cpuUsPerReq : null;
  }
  return summaries;
}

const f0 = (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US'));
const f1 = (n) => (n == null ? '—' : n.toFixed(1));
const f2 = (n) => (n == null ? '—' : n.toFixed(2));
const ms = (n) => (n == null ? '—' : n.toFixed(3));
const pct = (n) => (n == null ? '' : `${n.toFixed(1)}`);

export function markdownTable(summaries, rounds) {
  const rcols = Array.from({ length: rounds }, (_, i) => `r${i + 1} req/s`);
  const head = ['row', ...rcols, 'median req/s', 'p50 ms', 'p99 ms', 'non-2xx †', 'errors', 'cache hit %', 'CPU µs/req §', 'overhead µs/req ¶', '× bare-http-proxy', '× bare-undici', '× direct', 'p99 × bare-undici', 'other procs CPU % ‡'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const s of summaries) {
    const rr = rcols.map((_, i) => f0(s.rounds[i]));
    lines.push(`| ${[s.name, ...rr, `**${f0(s.medianRps)}**`, ms(s.p50Ms), ms(s.p99Ms), String(s.unexpected), String(s.errors),
      pct(s.cacheHitPct), f1(s.cpuUsPerReq), f1(s.overheadUsPerReq), f2(s.ratio['bare-http-proxy']), f2(s.ratio['bare-undici']), f2(s.ratio.direct), f2(s.p99Ratio),
      s.foreignCpuMaxPct == null ? '—' : s.foreignCpuMaxPct.toFixed(0)].join(' | ')} |`);
  }
  return lines.join('\n');
}

export const TABLE_NOTES = [
  '† non-2xx: responses other than 2xx; for gateway-invalid and gateway-revoked (where 401 is the right answer) it counts responses other than 401.',
  'errors: socket errors and timeouts seen by the load generator. cache hit %: from the gateway\'s hlgw_token_cache_requests_total over the warm-ups and measured runs, which send the same requests (bearer rows).',
  '‡ other procs CPU %: the largest share, over the rounds, of the machine\'s CPU time used by processes that are not the bench\'s during a measured run (/proc/stat); above a few % the row was disturbed.',
  '§ CPU µs/req: CPU time (user + system, /proc/<pid>/stat) of the row\'s server process and its descendants (workers) over the measured runs, divided by the requests served: the upstream for direct, the forwarder for the bare rows, the gateway, nginx, or nginx + the gateway for the decision row. What a request costs the server; much less disturbed by other processes than req/s.',
  '¶ overhead µs/req: the row\'s CPU µs/req minus its bare forwarder\'s in the same run (bare-undici; bare-http-proxy for http-proxy rows; nginx-bare for nginx rows). p99 × bare-undici: the row\'s p99 over bare-undici\'s.',
  'req/s: per round and the median over rounds; p50/p99: latency of all measured requests of all rounds pooled (µs resolution); ratios: median / median of the baseline, all in this one invocation.',
];

export function machine() {
  const c = cpus();
  return { cpuModel: c[0]?.model ?? 'unknown', cores: c.length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), kernel: release(), platform: process.platform };
}

export function versions() {
  const v = (pkg) => {
    try { return JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, 'utf8')).version; } catch { return 'not installed'; }
  };
  return { node: process.version, undici: v('undici'), 'http-proxy': v('http-proxy'), jose: v('jose'), autocannon: v('autocannon'), 'lru-cache': v('lru-cache') };
}

const mib = (b) => (b == null ? '—' : `${(b / 2 ** 20).toFixed(1)} MiB`);

export function memoryMarkdown(m) {
  if (!m) return '';
  if (m.error) return `Memory phase failed: ${m.error}`;
  const gc = (v) => (m.gcForced ? mib(v) : '—');
  return [
    `Fresh gateway child (\`cache.maxEntries: ${m.cacheMaxEntries.toLocaleString('en-US')}\`), metrics from its admin /metrics; "after GC": a full GC forced through the inspector first.`,
    '',
    '| gateway | RSS | V8 heap used | RSS after GC | heap used after GC |', '| --- | ---: | ---: | ---: | ---: |',
    ...[['idle (after start)', m.idle], ['after a 2,000-token warm-up', m.warm],
      [`after ${m.tokensDriven.toLocaleString('en-US')} distinct valid tokens (${m.after.cacheEntries.toLocaleString('en-US')} cached)`, m.after]]
      .map(([label, x]) => `| ${label} | ${mib(x.rss)} | ${mib(x.heapUsed)} | ${gc(x.rssAfterGc)} | ${gc(x.heapUsedAfterGc)} |`),
    '',
    `The ${m.addedEntries.toLocaleString('en-US')} entries cached after the warm-up add ${gc(m.after.rssAfterGc - m.warm.rssAfterGc)} of RSS after GC, ` +
      `that is **${gc(((m.after.rssAfterGc - m.warm.rssAfterGc) / m.addedEntries) * 100_000)} per 100,000 cached tokens** ` +
      `(${mib(m.after.rss - m.warm.rss)} before GC, garbage of the verifications included; ${mib(m.rssAddedBytes)} over idle): ` +
      `**${m.bytesPerEntryHeap == null ? '—' : Math.round(m.bytesPerEntryHeap)} bytes of live heap per cached entry**, ` +
      `${m.gcForced ? Math.round((m.after.rssAfterGc - m.warm.rssAfterGc) / m.addedEntries) : '—'} bytes of RSS after GC, ${Math.round(m.bytesPerEntryRss)} before. ` +
      `Driving them took ${m.seconds.toFixed(1)} s (${Math.round(m.tokensDriven / m.seconds).toLocaleString('en-US')} full verifications/s, 16 concurrent requests).`,
  ].join('\n');
}
