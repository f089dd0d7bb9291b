// `npm run bench`: the hot path measured. See `npm run bench -- --help`.
// Loopback only; every load run is bounded; every child process is stopped on exit or Ctrl-C.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllNow, useServerNode } from './lib/children.mjs';
import { measureMemory } from './lib/memory.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { runProfiles } from './lib/profile.mjs';
import { addRatios, machine, summarize, versions } from './lib/report.mjs';
import { renderTable, renderTargets } from './lib/render.mjs';
import { writeSection, writeSections } from './lib/results-md.mjs';
import { runRounds } from './lib/rounds.mjs';
import { GATEWAYS } from './lib/rows.mjs';
import { openSession } from './lib/session.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const log = (line) => process.stderr.write(`bench [${(performance.now() / 1000).toFixed(1)} s]: ${line}\n`);

let o;
try {
  o = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (o.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
// Before anything: the server children's Node must run and load the native addon of this checkout.
let serverNode;
try {
  serverNode = useServerNode(o.node, ROOT);
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

// Bounded no matter what: the rows' (or the ten profiles') own time plus generous set-up room (seeding, and the gateway
// children started one after another: 30 s each on top, a busy machine's worst seen was ~20 s).
const startupS = 120 + 30 * Object.keys(GATEWAYS).length;
const budgetS = o.profile ? 10 * (o.profileDurationS + 15) + startupS : o.rows.length * o.rounds * (o.durationS + o.warmupS + 3) + o.maxRetries * (o.durationS + 2) + (o.memory ? 240 : 0) + startupS;
const watchdog = setTimeout(() => { log(`watchdog: still running after ${budgetS} s, killing everything`); killAllNow(); process.exit(3); }, budgetS * 1000);
watchdog.unref();

let session;
let stopping = false;
const onSignal = (sig) => {
  stopping = true;
  log(`${sig}: stopping children`);
  (session ? session.close() : Promise.resolve()).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  session = await openSession({ rows: o.profile ? [] : o.rows, memory: o.memory && !o.profile, quick: o.quick, log });
  const pinText = session.plan.enabled
    ? `pinned with taskset: load generator (autocannon, in this process) on CPU ${session.plan.loadCpu}; upstream, baselines and gateways on CPU ${session.plan.serverCpu}`
    : `not pinned (${session.plan.reason})`;
  log(pinText);
  log(`server children on Node ${serverNode.version} (${serverNode.binary}); load generator on ${process.version}`);
  if (o.profile) await profileMode(session);
  else await tableMode(session);
} catch (err) {
  process.exitCode = 1;
  if (!stopping) log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  if (session) await session.close();
}

async function tableMode(session) {
  const started = new Date();
  const { rows, runs, retries } = await runRounds(session, { ...o, log });
  const summaries = addRatios(rows.map((r) => summarize(r, runs.get(r.name))));

  let memory = null;
  if (o.memory) {
    log('memory phase: fresh gateway child, 100,000 distinct valid tokens');
    try {
      memory = await measureMemory(session, session.tokens.memory);
    } catch (err) {
      memory = { error: err instanceof Error ? err.message : String(err) };
    }
  }

  const record = {
    date: started.toISOString(), command, machine: machine(), versions: versions(), serverNode, pinning: session.plan,
    options: { rounds: o.rounds, durationS: o.durationS, warmupS: o.warmupS, warmupSameLoad: true, connections: o.connections, quick: o.quick }, retries,
    ...(process.env.HLGW_BENCH_DIST ? { dist: process.env.HLGW_BENCH_DIST } : {}),
    rows: summaries, skipped: session.skipped, memory,
    rounds: Object.fromEntries([...runs].map(([name, rs]) => [name, rs.map(({ latencies, ...r }) => ({ ...r, p50Ms: latencies.percentile(50), p99Ms: latencies.percentile(99) }))])),
  };
  process.stdout.write(`\n${renderTable(record)}\n`);
  process.stderr.write(`\n${renderTargets(record)}\n\n`);

  const file = o.out ?? join(RESULTS_DIR, `bench-${record.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  log(`JSON written to ${file}`);
  if (o.publish) {
    // The committed copy of the latest full run per Node major; the documents are rendered from it.
    const latest = join(RESULTS_DIR, `latest-node${serverNode.version.slice(1).split('.')[0]}.json`);
    writeFileSync(latest, JSON.stringify(record, null, 2) + '\n');
    writeSections();
    log(`${latest} written; generated sections of bench/RESULTS.md, README.md and docs/ rewritten from it`);
  } else if (o.writeResultsMd) {
    log('not every row: bench/results/latest-node*.json and the documents left as they are (--out has the JSON)');
  }
}

async function profileMode(session) {
  const md = await runProfiles(session, { ...o, log, resultsDir: RESULTS_DIR });
  process.stdout.write(`\n${md}\n`);
  if (o.writeResultsMd) {
    writeSection('profile', md);
    log('bench/RESULTS.md profile section updated');
  }
}
