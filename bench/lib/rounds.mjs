// The measured part: a warm-up and a measured run per row, rows interleaved, in rounds.
import { cpuSnapshot, foreignCpu, treeCpuSeconds } from './cpu-watch.mjs';
import { driveTokens } from './drive.mjs';
import { cacheCounters, scrape } from './gateways.mjs';
import { buildClientRequests, runLoad } from './load.mjs';
import { restAllBut, rootsOf, wakeAll } from './rest.mjs';
import { ROWS } from './rows.mjs';

/** Above this share of the machine's CPU used by other processes, a measured run is repeated once. */
const DISTURBED_PCT = 10;

/** Returns Map(row name → runs[]). Row order is rotated every round so no row always runs first. */
export async function runRounds(session, o) {
  const rows = ROWS.filter((r) => o.rows.includes(r.name) && !session.skipped.some((s) => s.row === r.name));
  const requests = new Map();
  for (const r of rows) if (r.tokens) requests.set(r.name, buildClientRequests(session.tokens[r.tokens], o.connections));

  // bearer-10k: every token verified once before round 1, so the row measures cache hits only.
  if (rows.some((r) => r.name === 'gateway-bearer-10k')) {
    const t0 = performance.now();
    const d = await driveTokens(session.targets.gw.url, session.tokens.tenK, { deadlineMs: 60_000 });
    o.log(`primed gateway-bearer-10k: ${d.sent} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(d.status)}`);
  }

  const runs = new Map(rows.map((r) => [r.name, []]));
  let retries = 0;
  try {
    await measure();
  } finally {
    wakeAll(session);
  }
  return { rows, runs, retries };

  async function measure() {
    for (let round = 0; round < o.rounds; round++) {
      const k = round % rows.length;
      for (const row of [...rows.slice(k), ...rows.slice(0, k)]) {
        const target = session.targets[row.target];
        const spec = { url: target.url, connections: o.connections, headers: row.headers, clientRequests: requests.get(row.name) };
        restAllBut(session, target);
        const watch = row.tokens && target.admin;
        // Cache counters span the warm-up too: the scrape is an HTTP request the gateway serves.
        const before = watch ? cacheCounters(await scrape(target.admin)) : null;
        let run;
        for (let attempt = 0; ; attempt++) {
          // The window's CPU counters, read at its edges (the warm-up runs on the same load before it).
          let cpu0, cpu1, serverCpu0, serverCpu1;
          run = await runLoad({
            ...spec, durationS: o.durationS, warmupS: o.warmupS,
            onMeasureStart: () => { cpu0 = cpuSnapshot(); serverCpu0 = serverCpuSeconds(target); },
            onMeasureEnd: () => { serverCpu1 = serverCpuSeconds(target); cpu1 = cpuSnapshot(); },
          });
          // The server's own CPU time per request: far steadier than req/s on a shared machine.
          run.cpu = foreignCpu(cpu0, cpu1);
          run.serverCpuSeconds = serverCpu0 != null && serverCpu1 != null ? serverCpu1 - serverCpu0 : null;
          run.retries = attempt;
          // Shared machine: a run disturbed by other processes is measured again (bounded).
          if (!run.cpu || run.cpu.foreignPct <= DISTURBED_PCT || attempt >= 1 || retries >= o.maxRetries) break;
          retries++;
          o.log(`round ${round + 1}/${o.rounds}  ${row.name}: other processes used ${run.cpu.foreignPct.toFixed(0)}% CPU, measuring again`);
        }
        const after = watch ? cacheCounters(await scrape(target.admin)) : null;
        run.cache = before && after ? { hit: after.hit - before.hit, miss: after.miss - before.miss, negative: after.negative - before.negative } : null;
        runs.get(row.name).push(run);
        o.log(`round ${round + 1}/${o.rounds}  ${row.name.padEnd(30)} ${Math.round(run.rps).toLocaleString('en-US').padStart(8)} req/s  status ${JSON.stringify(run.status)}${run.errors + run.timeouts ? `  errors ${run.errors + run.timeouts}` : ''}${run.cpu ? `  other procs ${run.cpu.foreignPct.toFixed(0)}% CPU` : ''}`);
      }
    }
  }
}

/** CPU seconds used so far by the row's server: its process and descendants (nginx rows: `cpuPids`, the decision gateway included). */
function serverCpuSeconds(target) {
  return treeCpuSeconds(rootsOf(target));
}
