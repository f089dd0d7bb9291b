// Gateway children, started the way users run hlgw: `node dist/cli.js serve --config <file>`,
// each with its own copy of the seeded SQLite file and a generated bench config.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnNode, waitHttp } from './children.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** HLGW_BENCH_DIST: run the gateway children from another build (A/B of a hot-path change). */
const DIST = process.env.HLGW_BENCH_DIST ? resolve(process.env.HLGW_BENCH_DIST) : join(ROOT, 'dist');
const CLI = join(DIST, 'cli.js');

/** True when the built gateway implements server.workers > 1: it must use node:cluster. */
export function workersSupported() {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.js') && /['"]node:cluster['"]/.test(readFileSync(join(dir, e.name), 'utf8')));
  return existsSync(DIST) && walk(DIST);
}

/** The scope of the seeded named token (bench/lib/seed.mjs): the bench's one path, read only. */
const GATEWAY_SCOPES = { bench: [{ methods: ['GET'], paths: ['/bench'] }] };

/**
 * spec: { name, client: 'undici'|'http-proxy', cacheMaxEntries, workers, server (merged into the config's server), identity, log (merged into the config's log),
 * tracing (exported to ctx.otlpUrl, the session's sink), cpuProfDir, nodeArgs }.
 * Returns { name, info, url, admin, config }.
 */
export async function startGateway(spec, ctx) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const db = join(ctx.tmp, `${spec.name}.db`);
  copyFileSync(ctx.seedDb, db);
  const config = {
    server: { host: '127.0.0.1', port, workers: spec.workers ?? 1, ...spec.server },
    admin: { host: '127.0.0.1', port: adminPort },
    upstream: { url: ctx.upstreamUrl, client: spec.client ?? 'undici' },
    store: { type: 'sqlite', path: db },
    cache: { maxEntries: spec.cacheMaxEntries ?? 100_000 },
    tokens: { scopes: GATEWAY_SCOPES },
    // The seeded portfolios; a config that does not say allows none.
    portfolios: { allowed: '*' },
    secrets: { masterKeyFile: join(ctx.tmp, 'unused-master.key') },
    log: { level: 'warn', ...spec.log },
    ...(spec.identity ? { identity: spec.identity } : {}),
    ...(spec.tracing ? { tracing: { otlp: { url: ctx.otlpUrl }, ...spec.tracing } } : {}),
  };
  const file = join(ctx.tmp, `${spec.name}.yaml`);
  // JSON is YAML: the config loader reads it as is.
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  const nodeArgs = [...(spec.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfDir] : []), ...(spec.nodeArgs ?? [])];
  const info = spawnNode(spec.name, [...nodeArgs, CLI, 'serve', '--config', file], {
    plan: ctx.plan, cwd: ROOT, env: { HLGW_MASTER_KEY: ctx.masterKeyB64 },
    // An access log goes to a file, as it would to a log shipper in production.
    stdoutFile: spec.log?.access && spec.log.access !== 'off' ? join(ctx.tmp, `${spec.name}.log`) : undefined,
  });
  const url = `http://127.0.0.1:${port}`;
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitHttp(info, `${url}/bench-ready`, 200);
  return { name: spec.name, info, url, admin, config };
}

/** Prometheus text → Map('name{labels}' → value). Best effort: null when the admin port does not answer. */
export async function scrape(admin) {
  try {
    const r = await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (r.status !== 200) return null;
    const m = new Map();
    for (const line of (await r.text()).split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const sp = line.lastIndexOf(' ');
      m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
    return m;
  } catch {
    return null;
  }
}

export function cacheCounters(m) {
  if (!m) return null;
  const get = (r) => m.get(`hlgw_token_cache_requests_total{result="${r}"}`) ?? 0;
  return { hit: get('hit'), miss: get('miss'), negative: get('negative_hit') };
}
