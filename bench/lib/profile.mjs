// `--profile`: CPU profiles (node --cpu-prof) of the gateway child under bearer-hot,
// anonymous, bearer-hot on http-proxy, with the access log, bearer-10k and bearer-cold, and of both bare baselines for reference.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNode, stop, waitReady } from './children.mjs';
import { driveTokens } from './drive.mjs';
import { startGateway } from './gateways.mjs';
import { buildClientRequests, runLoad } from './load.mjs';
import { analyzeProfile, profileMarkdown } from './profile-analyze.mjs';
import { GATEWAYS } from './rows.mjs';

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));

export async function runProfiles(session, o) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const root = join(o.resultsDir, `profile-${stamp}`);
  const cases = [
    { label: 'gateway-bearer-hot', start: (dir) => startGateway({ ...GATEWAYS.gw, name: 'profile-hot', cpuProfDir: dir }, session.ctx), tokens: session.tokens.hot },
    { label: 'gateway-anonymous', start: (dir) => startGateway({ ...GATEWAYS.gw, name: 'profile-anonymous', cpuProfDir: dir }, session.ctx), tokens: null },
    { label: 'gateway-bearer-hot@http-proxy', start: (dir) => startGateway({ ...GATEWAYS.gwHttpProxy, name: 'profile-hot-http-proxy', cpuProfDir: dir }, session.ctx), tokens: session.tokens.hot },
    { label: 'gateway-bearer-hot+access-log', start: (dir) => startGateway({ ...GATEWAYS.gwAccessLog, name: 'profile-hot-access-log', cpuProfDir: dir }, session.ctx), tokens: session.tokens.hot },
    // 10,000 tokens, all cached after the 1 s warm-up: what a large working set costs over one hot token.
    { label: 'gateway-bearer-10k', start: (dir) => startGateway({ ...GATEWAYS.gw, name: 'profile-10k', cpuProfDir: dir }, session.ctx), tokens: session.tokens.tenK, prime: true },
    { label: 'gateway-bearer-cold', start: (dir) => startGateway({ ...GATEWAYS.gwCold, name: 'profile-cold', cpuProfDir: dir }, session.ctx), tokens: session.tokens.cold },
    // The bearer rows' floor (bench/servers/bare-undici.mjs identity): the headers without the gateway's logic.
    ...[['bare-undici', 'bare-undici', null], ['bare-undici+identity', 'bare-undici', 'identity'], ['bare-http-proxy', 'bare-http-proxy', null], ['bare-http-proxy+identity', 'bare-http-proxy', 'identity']].map(([name, script, mode]) => ({
      label: `${name} (reference)`, tokens: mode === 'identity' ? session.tokens.hot : null,
      start: async (dir) => {
        const args = [join(SERVERS, `${script}.mjs`), session.ctx.upstreamUrl, ...(mode ? [mode] : [])];
        const info = spawnNode(`profile-${name}`, ['--cpu-prof', '--cpu-prof-dir', dir, ...args], { plan: session.plan });
        return { info, url: `http://127.0.0.1:${await waitReady(info)}` };
      },
    })),
  ];
  const sections = [
    `### CPU profiles (${new Date().toISOString()})`, '',
    `\`npm run bench -- --profile\`: \`node --cpu-prof\` on the server child; only the ${o.profileDurationS} s measured run is counted (start-up and a 1 s warm-up cut off), ` +
      `${o.connections} connections${session.plan.enabled ? ', server pinned to CPU 1 and load generator to CPU 0' : ''}. ` +
      'Native frames (no URL) are counted in the component of their nearest JavaScript caller. Raw profiles: bench/results/profile-*/.', '',
  ];
  for (const c of cases.filter((x) => o.profileRows === null || o.profileRows.includes(x.label.split(' ')[0]))) {
    const dir = join(root, c.label.split(' ')[0]);
    mkdirSync(dir, { recursive: true });
    const server = await c.start(dir);
    let run;
    let window;
    try {
      const spec = { url: server.url, connections: o.connections, clientRequests: c.tokens ? buildClientRequests(c.tokens, o.connections) : undefined };
      // As in the full run: every token verified once first, so the profile holds cache hits only.
      if (c.prime) await driveTokens(server.url, c.tokens, { deadlineMs: 60_000 });
      await runLoad({ ...spec, durationS: 1 });
      // Only the measured run counts: start-up (module compilation) and warm-up are cut off.
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      run = await runLoad({ ...spec, durationS: o.profileDurationS });
      window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    } finally {
      await stop(server.info, 15_000);
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${c.label}: no .cpuprofile written in ${dir} (${server.info.stderr.trim().slice(-500)})`);
    const a = analyzeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), 15, window);
    o.log(`profiled ${c.label}: ${Math.round(run.rps)} req/s, busy ${a.busyMs.toFixed(0)} ms, profile ${join(dir, file)}`);
    const extra = `${Math.round(run.rps).toLocaleString('en-US')} req/s under the profiler (status ${JSON.stringify(run.status)}). `;
    sections.push(profileMarkdown(c.label, a, extra, run.requests), '');
  }
  return sections.join('\n');
}
