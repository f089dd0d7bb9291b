// Child processes of the bench: spawned pinned to the server CPU (taskset), tracked, and
// always killed, on success, on error and on SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

const TASKSET = '/usr/bin/taskset';
const live = new Set();

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
  return spawnProgram(name, process.execPath, nodeArgs, opts);
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

/** Waits for "READY <port>" on stdout (the bench's own servers). */
export function waitReady(info, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const m = /READY (\d+)/.exec(info.stdout);
      if (m) return resolve(Number(m[1]));
      if (info.exited) return reject(new Error(`${info.name} exited (${info.exitCode}): ${info.stderr.trim().slice(-2000)}`));
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`${info.name} not ready after ${timeoutMs} ms`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

/** Polls `url` until it answers `status` (the gateway children). */
export async function waitHttp(info, url, status = 200, timeoutMs = 20_000) {
  const t0 = Date.now();
  for (;;) {
    if (info.exited) throw new Error(`${info.name} exited (${info.exitCode}): ${(info.stderr + info.stdout).trim().slice(-2000)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === status) return;
    } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${info.name} not ready at ${url} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
