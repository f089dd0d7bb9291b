// `npm run bench`: the hot path measured. See `npm run bench -- --help`.
// Loopback only; every load run is bounded; every child process is stopped on exit or Ctrl-C.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllNow } from './lib/children.mjs';
import { measureMemory } from './lib/memory.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { runProfiles } from './lib/profile.mjs';
import { TABLE_NOTES, addRatios, machine, markdownTable, memoryMarkdown, summarize, versions } from './lib/report.mjs';
import { writeSection } from './lib/results-md.mjs';
import { runRounds } from './lib/rounds.mjs';
import { openSession } from './lib/session.mjs';

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

// Bounded no matter what: the rows' own time plus generous set-up room.
const budgetS = o.profile ? 3 * (o.profileDurationS + 30) + 120 : o.rows.length * o.rounds * (o.durationS + o.warmupS + 3) + o.maxRetries * (o.durationS + 2) + (o.memory ? 240 : 0) + 120;
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

  const meta = {
    date: started.toISOString(), machine: machine(), versions: versions(), pinning: session.plan,
    options: { rounds: o.rounds, durationS: o.durationS, warmupS: o.warmupS, connections: o.connections, quick: o.quick }, retries,
  };
  const m = meta.machine;
  const header = [
    `hlgw bench, ${meta.date}: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}`,
    `versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `${session.plan.enabled ? `pinned with taskset: load generator (autocannon) on CPU ${session.plan.loadCpu}, upstream + baselines + gateways on CPU ${session.plan.serverCpu}` : `not pinned: ${session.plan.reason}`}`,
    `${o.rounds} interleaved round(s) × ${o.durationS} s per row after a ${o.warmupS} s warm-up; ${o.connections} keep-alive connections; GET /bench, tiny JSON answer; loopback only`,
    ...(process.env.HLGW_BENCH_DIST ? [`gateway children run from HLGW_BENCH_DIST=${process.env.HLGW_BENCH_DIST}, not dist/`] : []),
    `runs re-measured because other processes used over 10% of the machine's CPU: ${retries} (at most one retry per run, ${o.maxRetries} in all)`,
  ];
  const table = markdownTable(summaries, o.rounds);
  const skipped = session.skipped.map((s) => `- skipped \`${s.row}\`: ${s.reason}`);
  const rowsText = summaries.map((s) => `- \`${s.name}\`: ${s.what}`);
  const memText = memoryMarkdown(memory);
  const out = [...header.map((l) => `${l}  `), '', table, '', ...TABLE_NOTES.map((n) => `${n}  `), ...(skipped.length ? ['', ...skipped] : []), '', ...rowsText, ...(memText ? ['', '**Memory**', '', memText] : [])].join('\n');
  process.stdout.write(`\n${out}\n`);

  const record = {
    ...meta, rows: summaries, skipped: session.skipped, memory,
    rounds: Object.fromEntries([...runs].map(([name, rs]) => [name, rs.map(({ latencies, ...r }) => ({ ...r, p50Ms: latencies.percentile(50), p99Ms: latencies.percentile(99) }))])),
  };
  const file = o.out ?? join(RESULTS_DIR, `bench-${meta.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  log(`JSON written to ${file}`);
  if (o.writeResultsMd) {
    writeSection('table', `## Latest run\n\n${out}`);
    log('bench/RESULTS.md updated');
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
