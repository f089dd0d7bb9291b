// Everything a bench invocation runs against: pinning, a seeded store, the upstream, the bare
// baselines and the gateway children its rows need. close() stops them all and removes the temp dir.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinSelf, pinning, spawnNode, stopAll, waitExit, waitReady } from './children.mjs';
import { startGateway, workersSupported } from './gateways.mjs';
import { startNginx, nginxMissing } from './nginx.mjs';
import { wakeAll } from './rest.mjs';
import { GATEWAYS, ROWS, TOKEN_COUNTS, tokenSets } from './rows.mjs';

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));
const SEED_CHILD = fileURLToPath(new URL('./seed-child.mjs', import.meta.url));

/** Seeds in a child on the server children's Node (it loads dist/ and the SQLite driver; this process never does). */
async function seedInChild(dbPath, counts, plan, tmp) {
  const out = join(tmp, 'seed-result.json');
  await waitExit(spawnNode('seed', [SEED_CHILD, dbPath, JSON.stringify(counts), out], { plan }));
  return JSON.parse(readFileSync(out, 'utf8'));
}

async function startBare(name, script, plan, args = []) {
  const info = spawnNode(name, [join(SERVERS, script), ...args], { plan });
  return { name, info, url: `http://127.0.0.1:${await waitReady(info)}`, admin: null };
}

/** o: { rows: row names, memory: boolean, quick: boolean, log(line) }. */
export async function openSession(o) {
  const plan = pinning(cpus().length);
  await pinSelf(plan);
  const tmp = mkdtempSync(join(tmpdir(), 'hlgw-bench-'));
  const session = { plan, tmp, targets: {}, skipped: [], tokens: null, ctx: null };
  session.close = async () => {
    wakeAll(session); // a stopped child would only take its SIGTERM once continued
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const validCount = Math.max(TOKEN_COUNTS.tenK + TOKEN_COUNTS.cold, o.memory ? TOKEN_COUNTS.memory : 0);
    const t0 = performance.now();
    const seedDb = join(tmp, 'seed.db');
    // Store rows for the tokens the rows send (hot, bearer-10k and cold): only issued tokens are valid.
    const stored = validCount;
    // Basic-mode tokens only when a row sends them (seeding 20,000 more takes a while).
    const basicCount = o.rows.some((r) => r.endsWith('@basic')) ? 1 + TOKEN_COUNTS.cold : 0;
    const seeded = await seedInChild(seedDb, { valid: validCount, stored, revoked: TOKEN_COUNTS.revoked, forged: TOKEN_COUNTS.forged, basic: basicCount }, plan, tmp);
    session.tokens = tokenSets(seeded.tokens);
    o.log(`seeded ${seedDb}: 1 portfolio, ${validCount.toLocaleString('en-US')} valid (${stored.toLocaleString('en-US')} with a store row), ${TOKEN_COUNTS.revoked} revoked, ${TOKEN_COUNTS.forged} forged tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const upstream = await startBare('upstream', 'upstream.mjs', plan);
    session.targets.upstream = upstream;
    session.ctx = { plan, tmp, seedDb, masterKeyB64: seeded.masterKeyB64, upstreamUrl: upstream.url };

    const rows = ROWS.filter((r) => o.rows.includes(r.name));
    const needed = new Set(rows.map((r) => r.target));
    if (needed.has('gwWorkers') && !workersSupported()) {
      session.skipped.push({ row: 'gateway-workers-2', reason: 'server.workers > 1 is not implemented in this build yet (no node:cluster in dist/)' });
      needed.delete('gwWorkers');
    }
    // The tracing row's gateway exports its spans here (a sink answering 200: the cost measured is the gateway's).
    if (needed.has('gwTracing')) session.ctx.otlpUrl = `${(await startBare('otlp-sink', 'otlp-sink.mjs', plan)).url}/v1/traces`;
    skipNginxRows(session, needed);
    if (needed.has('nginxDecision')) needed.add('gwDecision');
    // The bare servers start together (small scripts); the gateways one after another, so none
    // waits for the CPU behind ten others (start-up is not measured; a slow one fails the run).
    const starts = [];
    if (needed.has('bareHttpProxy')) starts.push(['bareHttpProxy', startBare('bare-http-proxy', 'bare-http-proxy.mjs', plan, [upstream.url])]);
    if (needed.has('bareUndici')) starts.push(['bareUndici', startBare('bare-undici', 'bare-undici.mjs', plan, [upstream.url])]);
    if (needed.has('bareHttpProxyIdentity')) starts.push(['bareHttpProxyIdentity', startBare('bare-http-proxy+identity', 'bare-http-proxy.mjs', plan, [upstream.url, 'identity'])]);
    if (needed.has('bareUndiciHeaders')) starts.push(['bareUndiciHeaders', startBare('bare-undici+headers', 'bare-undici.mjs', plan, [upstream.url, 'headers'])]);
    if (needed.has('bareUndiciIdentity')) starts.push(['bareUndiciIdentity', startBare('bare-undici+identity', 'bare-undici.mjs', plan, [upstream.url, 'identity'])]);
    const started = await Promise.allSettled(starts.map(([, p]) => p));
    started.forEach((r, i) => { if (r.status === 'fulfilled') session.targets[starts[i][0]] = r.value; });
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [target, spec] of Object.entries(GATEWAYS)) {
      if (!needed.has(target)) continue;
      const t1 = performance.now();
      session.targets[target] = await startGateway(spec, session.ctx);
      o.log(`${spec.name} ready in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    await startNginxTargets(session, needed);
    return session;
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** The nginx rows need nginx: without it they are skipped with the reason, the rest run. */
function skipNginxRows(session, needed) {
  const missing = ['nginxBare', 'nginxDecision'].some((t) => needed.has(t)) ? nginxMissing() : undefined;
  if (missing === undefined) return;
  for (const r of ROWS) if (r.target === 'nginxBare' || r.target === 'nginxDecision') session.skipped.push({ row: r.name, reason: missing });
  needed.delete('nginxBare');
  needed.delete('nginxDecision');
}

/** nginx in front of the upstream (bare), and in front of it asking the decision gateway (deploy/nginx/hlgw.conf). */
async function startNginxTargets(session, needed) {
  const { ctx, targets } = session;
  if (needed.has('nginxBare')) targets.nginxBare = await startNginx('nginx-bare', 'bare', { upstreamUrl: ctx.upstreamUrl, ctx });
  if (needed.has('nginxDecision')) {
    targets.nginxDecision = await startNginx('nginx-decision', 'decision', { upstreamUrl: ctx.upstreamUrl, gateway: targets.gwDecision, ctx });
  }
}
