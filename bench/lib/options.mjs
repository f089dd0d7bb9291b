// Command-line flags of `npm run bench -- ...`.
import { parseArgs } from 'node:util';
import { ROW_NAMES } from './rows.mjs';

export const USAGE = `usage: npm run bench -- [flags]
  --quick              smoke run (1 round, 1 s per row, no warm-up, no memory phase; no committed file changed)
  --rounds N           interleaved rounds (default 3)
  --duration S         measured seconds per row per round (default 3; whole seconds)
  --warmup S           warm-up seconds per row per round (default 1; 0 = none)
  --connections N      keep-alive connections of the load generator (default 10)
  --max-retries N      runs disturbed by other processes (>10% CPU) measured again, at most N (default 12)
  --rows a,b,c         only these rows (default: all): ${ROW_NAMES.join(', ')}
  --no-memory          skip the RSS / 100k cached tokens phase
  --profile            instead of the table: CPU-profile the gateways, the bare forwarders and the floor (with --rows: only those; no file changed)
  --profile-duration S seconds of load per profile (default 8)
  --out FILE           JSON results file (default bench/results/bench-<date>.json)
  --no-write           do not rewrite bench/RESULTS.md, README.md, docs/ nor bench/results/latest-node<major>.json
  --node BINARY        run every server child (upstream, baselines, sink, gateways, the seeding) on this Node binary
                       (before Node 22.15 its node_modules must be installed with it: SQLite is checked first)
  -h, --help
A full run (no --quick, no --rows, no --no-write) also writes bench/results/latest-node<major>.json (committed)
and rewrites every generated section from it (bench/RESULTS.md, README.md, docs/SCALING.md, docs/OPERATIONS.md).
environment: HLGW_BENCH_DIST=<dir> runs the gateway children from another build (A/B of a hot-path change);
HLGW_BENCH_NODE=<binary> as --node`;

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'max-retries': { type: 'string' },
      rows: { type: 'string' },
      memory: { type: 'boolean' },
      'no-memory': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'profile-duration': { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      node: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const num = (name, v, dflt, min) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${v}`);
    return n;
  };
  const quick = values.quick;
  const rows = values.rows === undefined ? ROW_NAMES : values.rows.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = rows.filter((r) => !ROW_NAMES.includes(r));
  if (unknown.length > 0) throw new Error(`--rows: unknown row(s) ${unknown.join(', ')}; known: ${ROW_NAMES.join(', ')}`);
  return {
    help: values.help,
    quick,
    rounds: Math.floor(num('rounds', values.rounds, quick ? 1 : 3, 1)),
    // autocannon stops on its once-a-second tick: durations are whole seconds in effect.
    durationS: Math.ceil(num('duration', values.duration, quick ? 1 : 3, 1)),
    warmupS: Math.ceil(num('warmup', values.warmup, quick ? 0 : 1, 0)),
    connections: Math.floor(num('connections', values.connections, 10, 1)),
    // Re-measurements of runs disturbed by other processes, in the whole invocation.
    maxRetries: Math.floor(num('max-retries', values['max-retries'], quick ? 0 : 12, 0)),
    rows: ROW_NAMES.filter((r) => rows.includes(r)),
    memory: values['no-memory'] ? false : (values.memory ?? !quick),
    profile: values.profile,
    profileDurationS: num('profile-duration', values['profile-duration'], 8, 1),
    // With --profile, --rows picks the profiled servers (a partial run rewrites no section).
    profileRows: values.rows === undefined ? null : rows,
    out: values.out,
    // A smoke run never replaces the committed full-run table.
    writeResultsMd: !values['no-write'] && !quick && !(values.profile && values.rows !== undefined),
    // Every row, not quick, writing: the run that becomes bench/results/latest-node<major>.json.
    publish: !values['no-write'] && !quick && values.rows === undefined,
    node: values.node ?? process.env.HLGW_BENCH_NODE ?? process.execPath,
  };
}
