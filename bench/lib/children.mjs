// Child processes of the bench: spawned pinned to the server CPU (taskset), tracked, and
// always killed, on success, on error and on SIGINT/SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

const TASKSET = '/usr/bin/taskset';
const live = new Set();
/** The Node binary every server child runs on (`--node`, HLGW_BENCH_NODE); the load generator stays in this process. */
let serverNode = process.execPath;

/**
 * Chooses the Node binary of the server children after checking that it runs and that it opens
 * SQLite through the store's driver (src/store/sqlite-driver.ts: node:sqlite from Node 22.15, else
 * better-sqlite3 from this checkout's node_modules, a native addon built for one Node ABI).
 * Returns { binary, version } or throws with what to do.
 */
export function useServerNode(binary, root) {
  const run = (args) => spawnSync(binary, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const v = run(['-p', 'process.version']);
  if (v.error || v.status !== 0) throw new Error(`--node ${binary}: it does not run (${v.error?.message ?? v.stderr.trim()})`);
  const version = v.stdout.trim();
  const sqlite = run(['--input-type=module', '-e', "const m = await import('./dist/store/sqlite-driver.js'); m.openSqlite(':memory:').close();"]);
  if (sqlite.status !== 0) {
    const flat = sqlite.stderr.replace(/\s+/g, ' ');
    const why = /NODE_MODULE_VERSION \d+\. This version of Node\.js requires NODE_MODULE_VERSION \d+/.exec(flat)?.[0] ?? flat.trim().slice(0, 300);
    throw new Error(`--node ${binary} (${version}) cannot open SQLite: on Node before 22.15 node_modules must be installed with that Node (better-sqlite3 is a native addon): run the bench from such a checkout (${why})`);
  }
  serverNode = binary;
  return { binary, version };
}

/** CPU pinning plan: load generator (this process) on CPU 0, servers on CPU 1, when possible. */
export function pinning(cpus) {
  if (!existsSync(TASKSET)) return { enabled: false, reason: 'taskset not found: nothing pinned' };
  if (cpus < 2) return { enabled: false, reason: `only ${cpus} CPU: nothing pinned` };
  return { enabled: true, loadCpu: 0, serverCpu: 1 };
}

/** Pins this process (every thread: -a) to the load generator's CPU. */
export async function pinSelf(plan) {
  if (!plan.enabled) return;
  const child = spawn(TASKSET, ['-a', '-p', '-c', String(plan.loadCpu), String(process.pid)], { stdio: 'ignore' });
  const code = await new Promise((resolve) => child.on('exit', resolve).on('error', () => resolve(-1)));
  if (code !== 0) throw new Error(`taskset could not pin the load generator (exit ${code})`);
}

/**
 * Spawns `node <args>` on the server CPU. stdout/stderr are collected (for READY lines and errors);
 * with `stdoutFile`, stdout goes to that file instead (an access log: a line per request would
 * otherwise cost the load generator's CPU to collect).
 */
export function spawnNode(name, nodeArgs, opts = {}) {
  return spawnProgram(name, serverNode, nodeArgs, opts);
}

/** As spawnNode, any program (nginx): pinned, tracked, stopped with the rest. */
export function spawnProgram(name, program, programArgs, { plan, env, cwd, stdoutFile } = {}) {
  const [cmd, args] = plan?.enabled
    ? [TASKSET, ['-c', String(plan.serverCpu), program, ...programArgs]]
    : [program, programArgs];
  const out = stdoutFile ? openSync(stdoutFile, 'a') : 'pipe';
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  const info = { name, child, stdout: '', stderr: '', exited: false, exitCode: null };
  child.stdout?.setEncoding('utf8').on('data', (d) => { info.stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { info.stderr += d; });
  child.on('exit', (code, signal) => { info.exited = true; info.exitCode = code ?? signal; live.delete(info); });
  live.add(info);
  return info;
}

/** What a child printed, for an error message: the last lines of its stderr and stdout. */
function printed(info) {
  const out = `${info.stderr}${info.stdout}`.trim();
  return out === '' ? 'it printed nothing' : `it printed:\n${out.slice(-2000)}`;
}

/**
 * Readiness timeout: generous, because children start on a busy 2-core machine (a gateway once
 * took over 20 s to answer while ten others started beside it).
 */
const READY_TIMEOUT_MS = 90_000;

/** Waits for "READY <port>" on stdout (the bench's own servers). */
export function waitReady(info, timeoutMs = READY_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const m = /READY (\d+)/.exec(info.stdout);
      if (m) return resolve(Number(m[1]));
      if (info.exited) return reject(new Error(`child ${info.name} exited (${info.exitCode}) before it was ready; ${printed(info)}`));
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`child ${info.name} not ready after ${timeoutMs / 1000} s; ${printed(info)}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

/** Polls `url` until it answers `status` (the gateway children). */
export async function waitHttp(info, url, status = 200, timeoutMs = READY_TIMEOUT_MS) {
  const t0 = Date.now();
  for (;;) {
    if (info.exited) throw new Error(`child ${info.name} exited (${info.exitCode}) before it was ready; ${printed(info)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === status) return;
    } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error(`child ${info.name} not ready at ${url} after ${timeoutMs / 1000} s; ${printed(info)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a child that runs to completion (the seeding); throws with what it printed unless it exits 0. */
export function waitExit(info) {
  return new Promise((resolve, reject) => {
    const done = () => (info.exitCode === 0 ? resolve() : reject(new Error(`child ${info.name} exited (${info.exitCode}); ${printed(info)}`)));
    if (info.exited) done();
    else info.child.once('exit', () => setImmediate(done));
  });
}

/** A free loopback port (for configs that need one up front). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** SIGTERM (graceful: lets --cpu-prof write its file), then SIGKILL after `graceMs`. */
export function stop(info, graceMs = 5000) {
  if (info.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => info.child.kill('SIGKILL'), graceMs);
    info.child.once('exit', () => { clearTimeout(t); resolve(); });
    info.child.kill('SIGTERM');
  });
}

export function livePids() {
  return [...live].map((i) => i.child.pid).filter((p) => p !== undefined);
}

export async function stopAll() {
  await Promise.all([...live].map((i) => stop(i)));
}

/** Last resort on exit: no child outlives the bench. */
export function killAllNow() {
  for (const i of live) i.child.kill('SIGKILL');
}

process.on('exit', killAllNow);
