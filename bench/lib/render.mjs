// Markdown rendered from a results file (the JSON a run writes): the generated sections of
// bench/RESULTS.md, README.md and docs/. Pure functions of the record(s), so
// `node bench/render-docs.mjs --check` (and test/docs/bench-figures.test.ts) can re-render them.
import { TABLE_NOTES, markdownTable, memoryMarkdown } from './report.mjs';

const f0 = (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US'));
const f1 = (n) => (n == null ? '—' : n.toFixed(1));
const f2 = (n) => (n == null ? '—' : n.toFixed(2));
/** A ratio beside the limit it is checked against: three decimals where two would round it onto the other side (0.497 missed, not 0.50). */
const fLimit = (n, limit, atLeast = true) => {
  const rounded = Number(n.toFixed(2));
  return (atLeast ? n >= limit : n <= limit) === (atLeast ? rounded >= limit : rounded <= limit) ? f2(n) : n.toFixed(3);
};
const f3 = (n) => (n == null ? '—' : n.toFixed(3));
const row = (rec, name) => rec.rows.find((r) => r.name === name);

/** Node of the server children (what was measured); older files only know the bench process's. */
function serverNodeVersion(rec) {
  return rec.serverNode?.version ?? rec.versions.node;
}

/** Runs since the warm-up became the first seconds of the measured load (bench/lib/load.mjs) say so. */
function sameLoad(o) {
  return o.warmupSameLoad && o.warmupS > 0 ? ' on the same connections' : '';
}

/** One line saying which run this is; a --quick run says it is not a measurement. */
function provenance(rec) {
  const o = rec.options;
  const foreign = Math.max(0, ...rec.rows.map((r) => r.foreignCpuMaxPct ?? 0));
  const busy = foreign > 10 ? `, on a busy machine (other processes used up to ${foreign.toFixed(0)} % of its CPU during a measured run)` : '';
  const what = o.quick
    ? `**smoke run (\`--quick\`, ${o.rounds} round × ${o.durationS} s per row, ${o.warmupS ? `after a ${o.warmupS} s warm-up` : 'no warm-up'})${busy}: not a measurement to quote; a full \`npm run bench\` on a quiet machine replaces it**`
    : `full run, ${o.rounds} rounds × ${o.durationS} s per row after a ${o.warmupS} s warm-up${sameLoad(o)}${busy}`;
  return `From \`${rec.command ?? 'npm run bench'}\`, ${rec.date}, server children on Node ${serverNodeVersion(rec)}: ${what}.`;
}

function memoryPer100k(m) {
  if (!m || m.error || !m.gcForced || !(m.addedEntries > 0)) return null;
  return ((m.after.rssAfterGc - m.warm.rssAfterGc) / m.addedEntries) * 100_000;
}

/** bench/RESULTS.md `table`: the header, the full table, its notes, the rows and the memory phase. */
export function renderTable(rec) {
  const m = rec.machine;
  const p = rec.pinning;
  const header = [
    `hlgw bench, ${rec.date}: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}`,
    `command: \`${rec.command ?? 'npm run bench'}\`${rec.options.quick ? ' (a --quick smoke run: not a measurement to quote)' : ''}`,
    `server children (upstream, baselines, gateways): ${serverNodeVersion(rec)}${rec.serverNode ? ` (${rec.serverNode.binary})` : ''}; load generator: node ${rec.versions.node}`,
    `versions: ${Object.entries(rec.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    p.enabled ? `pinned with taskset: load generator (autocannon) on CPU ${p.loadCpu}, upstream + baselines + gateways on CPU ${p.serverCpu}` : `not pinned: ${p.reason}`,
    `${rec.options.rounds} interleaved round(s) × ${rec.options.durationS} s per row after a ${rec.options.warmupS} s warm-up${sameLoad(rec.options)}; ${rec.options.connections} keep-alive connections; GET /bench, tiny JSON answer; loopback only`,
    ...(rec.dist ? [`gateway children run from HLGW_BENCH_DIST=${rec.dist}, not dist/`] : []),
    `runs re-measured because other processes used over 10% of the machine's CPU: ${rec.retries}`,
  ];
  const skipped = rec.skipped.map((s) => `- skipped \`${s.row}\`: ${s.reason}`);
  const memText = memoryMarkdown(rec.memory);
  return [
    '## Latest run', '',
    ...header.map((l) => `${l}  `), '',
    markdownTable(rec.rows, rec.options.rounds), '',
    ...TABLE_NOTES.map((n) => `${n}  `),
    ...(skipped.length ? ['', ...skipped] : []), '',
    ...rec.rows.map((s) => `- \`${s.name}\`: ${s.what}`),
    ...(memText ? ['', '**Memory**', '', memText] : []),
  ].join('\n');
}

/** The targets, each checked against `rec`: { row, target, measured (text), met (true/false/null = not measured) }. */
function checkTargets(rec) {
  const ratio = (name, base = 'bare-undici') => row(rec, name)?.ratio?.[base] ?? null;
  const min = (name, want, base = 'bare-undici', floorRow = undefined) => {
    const v = ratio(name, base);
    const floor = floorRow === undefined ? null : ratio(floorRow, base);
    return {
      row: name, target: `≥ ${want.toFixed(2)} × ${base}`, measured: v == null ? null : `${fLimit(v, want)} × ${base}`, met: v == null ? null : v >= want,
      floor: floor == null || v == null ? null : `${floorRow} ${f2(floor)}`,
    };
  };
  const hot = ratio('gateway-bearer-hot');
  const mode = (name) => {
    const v = ratio(name);
    const ok = v == null || hot == null ? null : v >= hot - 0.05;
    return { row: name, target: 'ratio within 0.05 of bearer-hot\'s (or above)', measured: ok == null ? null : `${f2(v)} against ${f2(hot)}`, met: ok };
  };
  const accessLog = row(rec, 'gateway-bearer-hot+access-log');
  const hotRow = row(rec, 'gateway-bearer-hot');
  const logRatio = accessLog && hotRow ? accessLog.medianRps / hotRow.medianRps : null;
  const undiciP99 = row(rec, 'bare-undici')?.p99Ms;
  const p99 = hotRow && undiciP99 != null ? hotRow.p99Ms / undiciP99 : null;
  const mem = memoryPer100k(rec.memory);
  return [
    min('gateway-anonymous', 0.9, undefined, 'bare-undici+headers'), min('gateway-basic', 0.9, undefined, 'bare-undici+headers'),
    min('gateway-bearer-hot', 0.9, undefined, 'bare-undici+identity'), min('gateway-bearer-10k', 0.85, undefined, 'bare-undici+identity'),
    min('gateway-bearer-cold', 0.5, undefined, 'bare-undici+identity'),
    { row: 'gateway-bearer-hot+access-log', target: '≥ 0.85 × gateway-bearer-hot', measured: logRatio == null ? null : `${fLimit(logRatio, 0.85)} × gateway-bearer-hot`, met: logRatio == null ? null : logRatio >= 0.85 },
    min('gateway-bearer-hot@http-proxy', 0.9, 'bare-http-proxy', 'bare-http-proxy+identity'),
    mode('gateway-bearer-hot@basic'), mode('gateway-bearer-hot@assertion'),
    { row: 'gateway-bearer-hot p99', target: '≤ 1.5 × bare-undici\'s p99', measured: p99 == null ? null : `${f3(hotRow.p99Ms)} ms = ${fLimit(p99, 1.5, false)} × ${f3(undiciP99)} ms`, met: p99 == null ? null : p99 <= 1.5 },
    { row: 'memory', target: '100,000 cached tokens ≤ 100 MiB', measured: mem == null ? null : `${f1(mem / 2 ** 20)} MiB of RSS after GC per 100,000`, met: mem == null ? null : mem <= 100 * 2 ** 20 },
    min('gateway-invalid', 1.5),
  ];
}

const verdict = (met) => (met == null ? 'not measured' : met ? 'met' : 'missed');

/** bench/RESULTS.md `targets`. */
export function renderTargets(rec) {
  const lines = ['## Targets', '', `${provenance(rec)} Ratios are median req/s over the baseline's median in that one run. ` +
    'Floor: the same ratio for bare-undici adding, as constants, the headers that row\'s requests must carry upstream and back, with no gateway logic (its row in the table).', '',
    '| row | target | measured | | floor |', '| --- | --- | --- | --- | --- |'];
  for (const t of checkTargets(rec)) lines.push(`| ${t.row} | ${t.target} | ${t.measured ?? '—'} | ${verdict(t.met)} | ${t.floor ?? ''} |`);
  return lines.join('\n');
}

/** bench/RESULTS.md `node-versions`: one line per Node major, each from its latest full results file. */
export function renderNodeVersions(recs) {
  const lines = ['## Node versions', '',
    'One line per Node major of the server children, each from `bench/results/latest-node<major>.json` (the latest `npm run bench` whose children ran on that major; `npm run bench -- --node <binary>` picks the binary). Runs of different days and machines: compare within a line.', '',
    '| Node | date | bare-undici req/s | gateway-bearer-hot req/s | × bare-undici | bare-undici CPU µs/req | gateway-bearer-hot CPU µs/req | run |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const rec of recs) {
    const b = row(rec, 'bare-undici');
    const h = row(rec, 'gateway-bearer-hot');
    lines.push(`| ${serverNodeVersion(rec)} | ${rec.date.slice(0, 10)} | ${f0(b?.medianRps)} | ${f0(h?.medianRps)} | ${f2(h?.ratio?.['bare-undici'])} | ${f1(b?.cpuUsPerReq)} | ${f1(h?.cpuUsPerReq)} | ${rec.options.quick ? '--quick smoke run, not a measurement' : 'full'} |`);
  }
  return lines.join('\n');
}

const SUMMARY_ROWS = ['direct', 'bare-http-proxy', 'bare-undici', 'bare-undici+headers', 'bare-undici+identity', 'gateway-anonymous', 'gateway-basic', 'gateway-bearer-hot', 'gateway-bearer-10k',
  'gateway-bearer-cold', 'gateway-invalid', 'gateway-bearer-hot@http-proxy'];

/** README.md `bench:summary`: the key rows, the targets' count, the date and the command. */
export function renderSummary(rec) {
  const lines = [provenance(rec), '',
    '| row | req/s | × bare-undici | p99 ms | p99 × bare-undici | CPU µs/req | overhead µs/req |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const name of SUMMARY_ROWS) {
    const s = row(rec, name);
    if (s) lines.push(`| ${name} | ${f0(s.medianRps)} | ${f2(s.ratio['bare-undici'])} | ${f3(s.p99Ms)} | ${f2(s.p99Ratio)} | ${f1(s.cpuUsPerReq)} | ${f1(s.overheadUsPerReq)} |`);
  }
  const t = checkTargets(rec);
  const count = (met) => t.filter((x) => x.met === met).length;
  lines.push('', `Targets (bench/RESULTS.md, "Targets"): ${count(true)} met, ${count(false)} missed, ${count(null)} not measured in this run` +
    `${t.some((x) => x.met === false) ? `; missed: ${t.filter((x) => x.met === false).map((x) => x.row).join(', ')}` : ''}.`);
  const mem = memoryPer100k(rec.memory);
  if (mem != null) lines.push(`100,000 cached tokens add ${f1(mem / 2 ** 20)} MiB of RSS after GC.`);
  return lines.join('\n');
}

const SCALING_ROWS = [['gateway-anonymous', ''], ['gateway-basic', ' (forwarded untouched)'], ['gateway-bearer-hot', ' (cache hit)'],
  ['gateway-bearer-10k', ' (10,000 tokens, all cached)'], ['gateway-bearer-cold', ' (every request a full verification)'],
  ['gateway-invalid', ' (bad seal, negative cache)'], ['gateway-revoked', ' (401 from state)']];

/** docs/SCALING.md `bench:scaling`: the per-instance inputs. */
export function renderScaling(rec) {
  const lines = [provenance(rec), '',
    '| bench row | req/s (upstream on the same core) | gateway CPU µs/req | one core\'s worth: 10⁶ / CPU µs/req |', '| --- | ---: | ---: | ---: |'];
  for (const [name, note] of SCALING_ROWS) {
    const s = row(rec, name);
    lines.push(s ? `| \`${name}\`${note} | ${f0(s.medianRps)} | ${f1(s.cpuUsPerReq)} | ${s.cpuUsPerReq ? f0(1e6 / s.cpuUsPerReq) : '—'} |` : `| \`${name}\`${note} | not measured | | |`);
  }
  const m = rec.memory;
  const mem = memoryPer100k(m);
  lines.push('', mem == null
    ? '- **Memory per cached token**: not measured in this run (the memory phase runs in a full `npm run bench`).'
    : `- **Memory per cached token**: ${Math.round(mem / 100_000)} bytes of RSS after GC (${Math.round(m.bytesPerEntryHeap)} bytes of live heap), i.e. ${f1(mem / 2 ** 20)} MiB per 100,000 cached tokens (\`cache.maxEntries\`, default 100,000). Idle process: ${f1(m.idle.rssAfterGc / 2 ** 20)} MiB RSS after GC.`);
  const hot = row(rec, 'gateway-bearer-hot');
  if (hot?.cpuUsPerReq) lines.push(`- **Hot path on paper**: 100 single-core instances × 10⁶ / ${f1(hot.cpuUsPerReq)} µs ≈ ${f1((100 * 1e6) / hot.cpuUsPerReq / 1e6)} M Bearer req/s (cache hits, the upstream elsewhere).`);
  return lines.join('\n');
}

const WAYS_ROWS = [
  ['bare-undici', 'a bare Node proxy, no auth (the Node ceiling)'],
  ['gateway-bearer-hot', 'hlgw as the proxy (also what each Kubernetes pod runs)'],
  ['gateway-bearer-hot+tracing', 'the same, every request traced (`sampleRatio: 1`, spans exported to a sink)'],
  ['nginx-bare', 'nginx alone as the proxy, no auth'],
  ['nginx-decision-bearer-hot', 'nginx as the proxy, hlgw answering its `auth_request` (decision mode); CPU of both'],
];

/** docs/OPERATIONS.md `bench:ways`: what each way of running it costs. */
export function renderWays(rec) {
  const lines = [provenance(rec), '',
    '| row | what runs | median req/s | p50 ms | p99 ms | CPU µs per request |', '| --- | --- | ---: | ---: | ---: | ---: |'];
  for (const [name, what] of WAYS_ROWS) {
    const s = row(rec, name);
    const skipped = rec.skipped.find((x) => x.row === name);
    lines.push(s ? `| \`${name}\` | ${what} | ${f0(s.medianRps)} | ${f3(s.p50Ms)} | ${f3(s.p99Ms)} | ${f1(s.cpuUsPerReq)} |`
      : `| \`${name}\` | ${what} | ${skipped ? `skipped: ${skipped.reason}` : 'not measured'} | | | |`);
  }
  const [hot, traced] = [row(rec, 'gateway-bearer-hot'), row(rec, 'gateway-bearer-hot+tracing')];
  if (hot?.cpuUsPerReq != null && traced?.cpuUsPerReq != null) {
    lines.push('', `Tracing every request cost ${f1(traced.cpuUsPerReq - hot.cpuUsPerReq)} µs of gateway CPU per request more than untraced in this run.`);
  }
  return lines.join('\n');
}
