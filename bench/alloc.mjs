// `node bench/alloc.mjs [--write] [case,...]`: bytes allocated per request by each server, and where.
// V8's sampling heap profiler (through the inspector, objects collected by GC included) samples
// about every 256 allocated bytes while a bounded load runs; the sampled bytes divided by the
// requests served estimate the allocation per request. Unlike req/s or CPU time, this barely moves
// when other processes share the machine, so it is the figure to compare builds with on a busy one.
// Allocation matters twice: it is GC work, and each header a proxy forwards costs the HTTP client
// an allocation per header (undici's processHeader and writeH1, node:http's setHeader).
// Cases: bare-undici, bare-http-proxy (the baselines), gateway-anonymous, gateway-bearer-hot,
// gateway-bearer-hot@http-proxy, gateway-bearer-hot+access-log, gateway-bearer-hot@basic,
// gateway-bearer-hot@assertion. --write puts the table into bench/RESULTS.md (section `alloc`).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'undici';
import { spawnNode, stop, waitReady } from './lib/children.mjs';
import { inspectorUrl } from './lib/force-gc.mjs';
import { startGateway } from './lib/gateways.mjs';
import { buildClientRequests, runLoad } from './lib/load.mjs';
import { writeSection } from './lib/results-md.mjs';
import { GATEWAYS } from './lib/rows.mjs';
import { openSession } from './lib/session.mjs';

const SERVERS = fileURLToPath(new URL('./servers/', import.meta.url));
const CASES = {
  'bare-undici': { bare: 'bare-undici.mjs' },
  'bare-http-proxy': { bare: 'bare-http-proxy.mjs' },
  'gateway-anonymous': { gateway: GATEWAYS.gw },
  'gateway-bearer-hot': { gateway: GATEWAYS.gw, tokens: 'hot' },
  'gateway-bearer-hot@http-proxy': { gateway: GATEWAYS.gwHttpProxy, tokens: 'hot' },
  'gateway-bearer-hot+access-log': { gateway: GATEWAYS.gwAccessLog, tokens: 'hot' },
  'gateway-bearer-hot@basic': { gateway: GATEWAYS.gwBasic, tokens: 'basicHot' },
  'gateway-bearer-hot@assertion': { gateway: GATEWAYS.gwAssertion, tokens: 'hot' },
};
const LOAD_S = 4;
const TOP = 12;

const args = process.argv.slice(2);
const write = args.includes('--write');
const names = (args.find((a) => !a.startsWith('--'))?.split(',') ?? Object.keys(CASES));
const unknown = names.filter((n) => !CASES[n]);
if (unknown.length > 0) {
  process.stderr.write(`unknown case(s) ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}\n`);
  process.exit(2);
}

/** A minimal inspector-protocol client: send(method, params) → the answer's result. */
function inspector(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  };
  const open = new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`inspector: cannot connect to ${url}`)); });
  return {
    async send(method, params = {}) {
      await open;
      const m = await new Promise((resolve) => { const i = ++id; pending.set(i, resolve); ws.send(JSON.stringify({ id: i, method, params })); });
      if (m.error) throw new Error(`inspector: ${method}: ${m.error.message}`);
      return m.result;
    },
    close: () => ws.close(),
  };
}

/** Sampled bytes by function (self), and their total. */
function bySite(profile) {
  const sites = new Map();
  let total = 0;
  const walk = (n) => {
    if (n.selfSize > 0) {
      const f = n.callFrame;
      const where = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|bench)\//, '$1/').replace(/^node:internal\//, 'node:');
      const key = `\`${f.functionName || '(anonymous)'}\` ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
      sites.set(key, (sites.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return { sites, total };
}

async function measure(session, name) {
  const c = CASES[name];
  let server;
  if (c.bare) {
    const info = spawnNode(name, ['--inspect=127.0.0.1:0', join(SERVERS, c.bare), session.ctx.upstreamUrl], { plan: session.plan });
    server = { info, url: `http://127.0.0.1:${await waitReady(info)}` };
  } else {
    server = await startGateway({ ...c.gateway, name: `alloc-${c.gateway.name}`, nodeArgs: ['--inspect=127.0.0.1:0'] }, session.ctx);
  }
  try {
    const tokens = c.tokens ? session.tokens[c.tokens] : null;
    const spec = { url: server.url, connections: 10, clientRequests: tokens ? buildClientRequests(tokens, 10) : undefined };
    await runLoad({ ...spec, durationS: 2 }); // warm-up: compiled code, filled pools and caches
    const ws = inspector(inspectorUrl(server.info));
    await ws.send('HeapProfiler.enable');
    await ws.send('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const run = await runLoad({ ...spec, durationS: LOAD_S });
    const { profile } = await ws.send('HeapProfiler.stopSampling');
    ws.close();
    const { sites, total } = bySite(profile);
    return { name, requests: run.requests, perRequest: total / run.requests, sites: [...sites].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, v]) => [k, v / run.requests]) };
  } finally {
    await stop(server.info, 10_000);
  }
}

// Basic-mode tokens are seeded only for a session whose rows send them (that row's gateway idles meanwhile).
const session = await openSession({ rows: names.includes('gateway-bearer-hot@basic') ? ['gateway-bearer-hot@basic'] : [], memory: false, quick: true, log: (l) => process.stderr.write(`${l}\n`) });
const results = [];
try {
  for (const name of names) {
    results.push(await measure(session, name));
    process.stderr.write(`${name}: ${Math.round(results.at(-1).perRequest)} B per request\n`);
  }
} finally {
  await session.close();
}
const base = (n) => results.find((r) => r.name === n)?.perRequest;
const md = [
  `### Allocation per request (${new Date().toISOString()})`, '',
  `\`node bench/alloc.mjs${write ? ' --write' : ''}${args.find((a) => !a.startsWith('--')) ? ` ${names.join(',')}` : ''}\`: V8's sampling heap profiler (every ~256 B, objects collected by GC included) over ${LOAD_S} s of load after a 2 s warm-up, 10 connections, node ${process.version}.`, '',
  '| server | requests sampled | bytes per request | over its bare baseline |', '| --- | ---: | ---: | ---: |',
  ...results.map((r) => {
    const b = r.name.includes('http-proxy') ? base('bare-http-proxy') : base('bare-undici');
    const over = r.name.startsWith('bare') || b === undefined ? '' : `+${Math.round(r.perRequest - b).toLocaleString('en-US')}`;
    return `| ${r.name} | ${r.requests.toLocaleString('en-US')} | ${Math.round(r.perRequest).toLocaleString('en-US')} | ${over} |`;
  }),
  '',
  ...results.flatMap((r) => [`#### ${r.name}: top allocation sites (bytes per request)`, '', ...r.sites.map(([k, v]) => `- ${Math.round(v)} B ${k}`), '']),
].join('\n');
process.stdout.write(`${md}\n`);
if (write) writeSection('alloc', md);
