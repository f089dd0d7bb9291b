import { spawnSync } from 'node:child_process';

/**
 * The system programs the test suite runs for real, and where each comes from. This is the one
 * place that provides them: the run's global setup (test/support/global-setup.ts) asks for
 * REQUIRED_TOOLS before any test starts. Adding the next tool is one line in each list.
 */
interface ToolSource {
  /** Debian package that ships it. */
  debian: string;
  /** The command to suggest elsewhere (macOS). */
  elsewhere: string;
  /** How to make it print its version (`--version` when absent). */
  versionFlag?: string;
  /** The program the tests start, when it is not the tool's name on PATH. */
  command?: () => string;
}

/** The Chromium the browser tests launch (test/support/browser.ts): the same path is what is checked. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

const SYSTEM_TOOLS = {
  'redis-server': { debian: 'redis-server', elsewhere: 'brew install redis' },
  // `redis-cli --cluster create` builds the Redis Cluster of the Cluster tests (Debian: redis-tools).
  'redis-cli': { debian: 'redis-tools', elsewhere: 'brew install redis' },
  promtool: { debian: 'prometheus', elsewhere: 'brew install prometheus' },
  chromium: {
    debian: 'chromium',
    elsewhere: 'install Chromium (`brew install --cask chromium`) and set CHROMIUM_PATH to its binary',
    command: () => chromiumPath(),
  },
  haproxy: { debian: 'haproxy', elsewhere: 'brew install haproxy', versionFlag: '-v' },
  // A user and mount namespace with the root filesystem read-only: the Kubernetes pod's
  // readOnlyRootFilesystem (test/deploy/kubernetes.test.ts). Linux only.
  unshare: { debian: 'util-linux', elsewhere: 'run the suite on Linux (unshare is util-linux\'s)' },
  // The README walk-through's client (test/docs/readme-walkthrough.test.ts runs it as printed).
  curl: { debian: 'curl', elsewhere: 'brew install curl' },
  // A terminal for the README's command-line block (test/docs/readme-walkthrough.test.ts): its prompts.
  script: { debian: 'bsdutils', elsewhere: 'run the suite on Linux (script is util-linux\'s)' },
  // The decision mode's ingress (deploy/nginx/); `nginx -v` prints its version on stderr, exit 0.
  nginx: { debian: 'nginx', elsewhere: 'brew install nginx', versionFlag: '-v' },
} as const satisfies Record<string, ToolSource>;

export type SystemTool = keyof typeof SYSTEM_TOOLS;

/** What this suite needs today. */
export const REQUIRED_TOOLS: readonly SystemTool[] = ['redis-server', 'redis-cli', 'chromium', 'promtool', 'haproxy', 'nginx', 'unshare', 'script', 'curl'];

/** `undefined` when the tool runs; otherwise the one line that says how to get it. */
export type ToolStatus = string | undefined;

function runs(tool: SystemTool): boolean {
  const t: ToolSource = SYSTEM_TOOLS[tool];
  const r = spawnSync(t.command?.() ?? tool, [t.versionFlag ?? '--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function howToInstall(tool: SystemTool): string {
  const t = SYSTEM_TOOLS[tool];
  return `\`sudo apt-get install -y ${t.debian}\` (Debian/Ubuntu) or ${t.elsewhere}`;
}

/** The last lines apt printed on a failure: what the one-line advice alone would hide. */
function aptFailure(step: string, r: ReturnType<typeof spawnSync>): string | undefined {
  if (r.error === undefined && r.status === 0) return undefined;
  const said = `${String(r.stderr ?? '')}\n${String(r.stdout ?? '')}`.trim().split('\n').slice(-8).join('\n    ');
  return `apt-get ${step} failed (${r.error?.message ?? `exit ${r.status}`}):\n    ${said}`;
}

/**
 * Makes each tool available: already on PATH, or installed with Debian's apt-get when this
 * process may (root, or password-less sudo) and HLGW_TEST_NO_INSTALL is not `1`, saying so in
 * one line and printing apt's own errors when it fails. Returns, per tool, nothing when it runs,
 * or the one line naming the command to run when it cannot be had here.
 */
export function provideTools(
  tools: readonly SystemTool[],
  log: (line: string) => void = (l) => console.log(l),
  env: NodeJS.ProcessEnv = process.env,
): Record<string, ToolStatus> {
  const status: Record<string, ToolStatus> = {};
  const missing = tools.filter((t) => !runs(t));
  for (const t of tools) status[t] = undefined;
  if (missing.length === 0) return status;

  const optedOut = env.HLGW_TEST_NO_INSTALL === '1';
  const sudo = optedOut ? undefined : process.getuid?.() === 0 ? [] : spawnSync('sudo', ['-n', 'true']).status === 0 ? ['sudo', '-n'] : undefined;
  const aptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (optedOut) log(`hlgw tests: ${missing.join(', ')} not found; HLGW_TEST_NO_INSTALL=1, so nothing is installed`);
  if (sudo !== undefined && aptGet) {
    const packages = [...new Set(missing.map((t) => SYSTEM_TOOLS[t].debian))];
    log(`hlgw tests: ${missing.join(', ')} not found; installing Debian package(s) ${packages.join(' ')} with apt-get (once per machine; HLGW_TEST_NO_INSTALL=1 turns this off)`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args: string[]) => {
      const [cmd, ...rest] = sudo.length > 0 ? [...sudo, 'apt-get', ...args] : ['apt-get', ...args];
      return spawnSync(cmd!, rest, { env: aptEnv, encoding: 'utf8' });
    };
    // The package lists of a fresh machine may be empty: update once, then install. Parallel
    // runs (CI shards, a second checkout) wait for dpkg's lock instead of failing.
    const updated = apt(['update', '-qq', '-o', 'DPkg::Lock::Timeout=300']);
    const installed = apt(['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', '--no-install-recommends', ...packages]);
    for (const why of [aptFailure('update', updated), aptFailure('install', installed)]) if (why !== undefined) log(`hlgw tests: ${why}`);
  }
  for (const t of missing) {
    if (!runs(t)) status[t] = `${t} is not installed and could not be installed here: run ${howToInstall(t)}, then npm test again`;
  }
  return status;
}
