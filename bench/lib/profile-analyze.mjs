// Reads a V8 .cpuprofile: self time by function and by component, and inclusive time of a few
// frames of interest (jose, the validator, the forwarder). Pure: profile object in, numbers out.

const COMPONENTS = [
  ['jose', (u) => u.includes('/node_modules/jose/')],
  ['undici', (u) => u.includes('/node_modules/undici/')],
  ['http-proxy', (u) => /\/node_modules\/(http-proxy|eventemitter3|follow-redirects|requires-port)\//.test(u)],
  ['lru-cache', (u) => u.includes('/node_modules/lru-cache/')],
  ['prom-client', (u) => u.includes('/node_modules/prom-client/') || u.includes('/node_modules/tdigest/')],
  ['pino', (u) => u.includes('/node_modules/pino')],
  ['other node_modules', (u) => u.includes('/node_modules/')],
  ['hlgw (dist/)', (u) => /\/dist(-[\w-]+)?\//.test(u)],
  ['node crypto', (u) => /^node:(internal\/)?crypto/.test(u)],
  ['node http', (u) => /^node:(_http_|internal\/http|http$)/.test(u)],
  ['node net/streams', (u) => /^node:(net|stream|internal\/(stream|streams|net|stream_base_commons|buffer))/.test(u)],
  ['node timers/events/other', (u) => u.startsWith('node:')],
];

const INCLUSIVE = [
  ['jose (anything under a jose frame)', (cf) => cf.url.includes('/node_modules/jose/')],
  ['TokenValidator.validate (hash + cache + checks)', (cf) => cf.functionName === 'validate' && cf.url.endsWith('/dist/token/validator.js')],
  // A miss is verified after the request's turn, with the turn's other misses (TokenValidator.verifyMisses).
  ['TokenValidator misses (every seal, store read and admission of a turn)', (cf) => cf.functionName === 'verifyAll' && cf.url.endsWith('/dist/token/validator.js')],
  ['openCanonical (the seal and claims of a miss)', (cf) => cf.functionName === 'openCanonical' && cf.url.endsWith('/dist/token/open-token.js')],
  ['createHash (token → cache key)', (cf) => cf.functionName === 'createHash' || cf.functionName === 'Hash'],
  ['handleRequest (whole hot path incl. forward)', (cf) => cf.functionName === 'handleRequest'],
  ['forwarder.forward', (cf) => cf.functionName === 'forward' && cf.url.includes('/dist/proxy/')],
  ['undici (anything under an undici frame)', (cf) => cf.url.includes('/node_modules/undici/')],
  ['metrics (prom-client)', (cf) => cf.url.includes('/node_modules/prom-client/')],
];

function componentOf(url) {
  for (const [name, test] of COMPONENTS) if (test(url)) return name;
  return null;
}

/** window: optional { fromUs, toUs } on CLOCK_MONOTONIC (process.hrtime), the clock of V8's timestamps on Linux. */
export function analyzeProfile(profile, top = 15, window = undefined) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time per node from samples and time deltas (µs).
  const self = new Map();
  let total = 0;
  let ts = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    ts += dt;
    if (window && (ts < window.fromUs || ts > window.toUs)) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
    total += dt;
  }

  // Component of a node: its own, or (native frames without a URL) its nearest ancestor's.
  const compMemo = new Map();
  const component = (id) => {
    if (compMemo.has(id)) return compMemo.get(id);
    const n = byId.get(id);
    const name = n.callFrame.functionName;
    let c;
    if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)') c = name;
    else c = componentOf(n.callFrame.url) ?? (parent.has(id) ? component(parent.get(id)) : 'native');
    if (c === '(root)') c = 'native (no JS caller)';
    compMemo.set(id, c);
    return c;
  };
  const under = (id, test, memo) => {
    if (memo.has(id)) return memo.get(id);
    const n = byId.get(id);
    const r = test(n.callFrame) || (parent.has(id) ? under(parent.get(id), test, memo) : false);
    memo.set(id, r);
    return r;
  };

  const idle = sumWhere(self, (id) => byId.get(id).callFrame.functionName === '(idle)');
  const busy = total - idle;
  const comps = new Map();
  const fns = new Map();
  for (const [id, t] of self) {
    const n = byId.get(id);
    if (n.callFrame.functionName === '(idle)') continue;
    const c = component(id);
    comps.set(c, (comps.get(c) ?? 0) + t);
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)';
    const key = `${functionName || '(anonymous)'} ${where}`;
    const f = fns.get(key) ?? { fn: functionName || '(anonymous)', where, us: 0 };
    f.us += t;
    fns.set(key, f);
  }
  const pctOf = (us) => (busy > 0 ? (100 * us) / busy : 0);
  return {
    totalMs: total / 1000, idleMs: idle / 1000, busyMs: busy / 1000,
    components: [...comps].map(([name, us]) => ({ name, ms: us / 1000, pct: pctOf(us) })).sort((a, b) => b.ms - a.ms),
    topSelf: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000, pct: pctOf(f.us) })),
    inclusive: INCLUSIVE.map(([name, test]) => {
      const memo = new Map();
      const us = sumWhere(self, (id) => under(id, test, memo));
      return { name, ms: us / 1000, pct: pctOf(us) };
    }),
  };
}

function sumWhere(self, pred) {
  let s = 0;
  for (const [id, t] of self) if (pred(id)) s += t;
  return s;
}

function shortUrl(url) {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const d = url.lastIndexOf('/dist/');
  if (d !== -1) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

/** `requests`: requests served while profiled (warm-up included), for the µs/request column. */
export function profileMarkdown(title, a, extra = '', requests = 0) {
  const per = (ms) => (requests > 0 ? ((ms * 1000) / requests).toFixed(1) : '—');
  const lines = [`#### ${title}`, '',
    `${extra}Busy ${a.busyMs.toFixed(0)} ms of ${a.totalMs.toFixed(0)} ms sampled (the rest idle)` +
      `${requests > 0 ? `, ${requests.toLocaleString('en-US')} requests: **${per(a.busyMs)} µs busy per request**` : ''}. Shares below are of busy time.`, ''];
  lines.push('| component (self time) | ms | µs/req | % busy |', '| --- | ---: | ---: | ---: |');
  for (const c of a.components.slice(0, 12)) lines.push(`| ${c.name} | ${c.ms.toFixed(0)} | ${per(c.ms)} | ${c.pct.toFixed(1)} |`);
  lines.push('', '| inclusive (time under the frame) | ms | µs/req | % busy |', '| --- | ---: | ---: | ---: |');
  for (const c of a.inclusive) if (c.ms > 0) lines.push(`| ${c.name} | ${c.ms.toFixed(0)} | ${per(c.ms)} | ${c.pct.toFixed(1)} |`);
  lines.push('', '| top self-time functions | where | ms | µs/req | % busy |', '| --- | --- | ---: | ---: | ---: |');
  for (const f of a.topSelf) lines.push(`| \`${f.fn}\` | ${f.where} | ${f.ms.toFixed(0)} | ${per(f.ms)} | ${f.pct.toFixed(1)} |`);
  return lines.join('\n');
}
