// `node bench/peers.mjs`: gateway bearer-hot beside the proxies users would pick instead, with the
// peers harness of ../shared/peers (nginx upstream, autocannon at 50 connections, load generator on
// CPU 0, every proxy on CPU 1): node:http + undici Pool.dispatch (the Node ceiling) and haproxy
// verifying an HS256 JWT natively. Writes bench/results/peers-node<major>.md (committed): the
// harness's table, the ratios and the command. Loopback only; bounded in time.
//
// Usage: node bench/peers.mjs [--node <binary>] [--rounds N] [--peers <dir>]
//   --node    run every Node row (the gateway and undici-dispatch) on this Node binary
//   --rounds  interleaved rounds (default 3)
//   --peers   the harness (default ../shared/peers beside this checkout); it is copied, never run in place
// Needs a build (npm run build) and, for the harness, nginx and haproxy (it installs them with apt-get if missing).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUDGET_MS = 20 * 60_000;
const ROWS = 'undici-dispatch haproxy-jwt';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const nodeBinary = opt('--node', process.execPath);
const rounds = Number(opt('--rounds', '3'));
const peers = resolve(opt('--peers', join(ROOT, '..', 'shared', 'peers')));
if (!existsSync(join(peers, 'run.sh'))) fail(`no peers harness at ${peers} (--peers <dir>)`);
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) fail('no build: run `npm run build` first');
if (!Number.isInteger(rounds) || rounds < 1) fail('--rounds takes a whole number ≥ 1');
const nodeVersion = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();

const work = mkdtempSync(join(tmpdir(), 'hlgw-peers-'));
const cleanUp = () => rmSync(work, { recursive: true, force: true });
process.on('exit', cleanUp);
try {
  const copy = join(work, 'peers');
  cpSync(peers, copy, { recursive: true, filter: (src) => !/[/\\](node_modules|results)$/.test(src) });
  log(`npm ci in a copy of ${peers}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'] });
  const env = {
    ...process.env,
    // The gateway row and every Node row run on the chosen Node.
    PATH: `${dirname(nodeBinary)}:${process.env.PATH}`,
    HLGW_PROJECT: ROOT, GATEWAY_TOKEN_FILE: join(work, 'gw.tok'), GATEWAY_PORT: '18140', GATEWAY_CMD: join(copy, 'gateway-row.sh'),
    ROWS, ROUNDS: String(rounds), OUT: join(work, 'results'),
  };
  log(`running ${ROWS} and the gateway, ${rounds} round(s), Node rows on ${nodeVersion}`);
  const output = await run(join(copy, 'run.sh'), env);
  const table = output.slice(output.indexOf('conns='));
  if (!table.startsWith('conns=')) fail(`the harness printed no table:\n${output.slice(-2000)}`);
  const rps = (row) => Number(new RegExp(`^\\| ${row} \\| ([0-9,]+)`, 'm').exec(table)?.[1]?.replace(/,/g, '') ?? NaN);
  const [gw, haproxy, undici] = [rps('gateway'), rps('haproxy-jwt'), rps('undici-dispatch')];
  if (![gw, haproxy, undici].every((n) => n > 0)) fail(`a row is missing from the table:\n${table}`);
  const command = `node bench/peers.mjs${args.length ? ` ${args.join(' ')}` : ''}`;
  const file = join(ROOT, 'bench', 'results', `peers-node${nodeVersion.slice(1).split('.')[0]}.md`);
  writeFileSync(file, [
    `# Peers: gateway bearer-hot beside the Node ceiling and haproxy verifying a JWT natively (Node ${nodeVersion.slice(1)})`, '',
    `From \`${command}\`, ${new Date().toISOString()}, gateway at ${gitHead()}: the peers harness (${peers}, copied), ` +
      'load generator on CPU 0, every proxy and the nginx upstream on CPU 1, 50 connections.', '',
    table.trim(), '',
    `gateway / haproxy-jwt: **${(gw / haproxy).toFixed(2)}**; gateway / undici-dispatch: **${(gw / undici).toFixed(2)}** (mean req/s of the table above).`, '',
  ].join('\n'));
  log(`wrote ${file}: gateway ${(gw / haproxy).toFixed(2)} × haproxy-jwt, ${(gw / undici).toFixed(2)} × undici-dispatch`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

function run(cmd, env) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, [], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    const timer = setTimeout(() => { process.kill(-child.pid, 'SIGTERM'); reject(new Error(`the harness ran over ${BUDGET_MS / 60_000} min: stopped`)); }, BUDGET_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(out);
      else reject(new Error(`the harness exited ${code}:\n${out.slice(-2000)}`));
    });
  });
}

function gitHead() {
  try {
    return `commit ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()}`;
  } catch {
    return 'an unknown commit';
  }
}

function log(line) {
  process.stderr.write(`peers: ${line}\n`);
}

function fail(message) {
  process.stderr.write(`peers: ${message}\n`);
  process.exit(1);
}
