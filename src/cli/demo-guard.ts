import { readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { parse } from 'yaml';
import type { GatewayConfig } from '../config/schema.js';
import { CliError } from './cli-error.js';

/** The demo users file shipped beside dist/ and src/: its password hashes are the ones README.md publishes. */
const SHIPPED_DEMO_USERS = new URL('../../config/demo-users.yaml', import.meta.url);

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * `hlgw serve` refuses a demo config (the embedded echo API, or the demo users whose passwords
 * README.md prints) on a listener other people can reach, unless told so (HLGW_ALLOW_DEMO=1 or
 * --allow-demo). The rule looks at what makes the demo unsafe, not at a file name: a copy of the
 * demo users file is caught by its password hashes. On loopback the demo stays one command away.
 */
export function refuseExposedDemo(config: GatewayConfig, env: NodeJS.ProcessEnv, allowFlag: boolean): void {
  if (allowFlag || env.HLGW_ALLOW_DEMO === '1') return;
  // Where the demo's passwords and echo API answer: the proxy port, and the echo API's own port.
  // The admin port is not one of them (no sign-in there; the operator API needs its own secret).
  const listeners: [string, string][] = [['server.host', config.server.host]];
  if (config.demoUpstream.enabled) listeners.push(['demoUpstream.host', config.demoUpstream.host]);
  const exposed = listeners.filter(([, h]) => !isLoopback(h));
  if (exposed.length === 0) return;
  const why: string[] = [];
  if (config.demoUpstream.enabled) why.push('demoUpstream is on (an echo API stands in for the real one)');
  if (config.users.source === 'file' && holdsDemoUsers(config.users.file)) why.push(`${config.users.file} holds the demo users whose passwords README.md publishes`);
  if (why.length === 0) return;
  throw new CliError([
    `refusing to start a demo config on ${exposed.map(([k, h]) => `${h} (${k})`).join(' and ')}, reachable from other machines: ${why.join('; ')}.`,
    '  For production, start from config/production.example.yaml: hlgw serve --config <your copy> (docs/CONFIG.md).',
    '  To run the demo there anyway (a throwaway container): set HLGW_ALLOW_DEMO=1 or pass --allow-demo.',
  ].join('\n'));
}

/** 127.0.0.0/8, ::1 and `localhost`; any other name or address (0.0.0.0, ::) may be reachable. */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIPv4(host)) return LOOPBACK.check(host, 'ipv4');
  return isIPv6(host) && LOOPBACK.check(host, 'ipv6');
}

function holdsDemoUsers(file: string): boolean {
  const demo = passwordHashes(SHIPPED_DEMO_USERS);
  return passwordHashes(file).some((h) => demo.includes(h));
}

/** The users file's passwordHash values; none when it cannot be read (serve then reports the file itself). */
function passwordHashes(file: string | URL): string[] {
  try {
    const doc = parse(readFileSync(file, 'utf8')) as { users?: { passwordHash?: unknown }[] } | null;
    return (doc?.users ?? []).map((u) => u.passwordHash).filter((h): h is string => typeof h === 'string');
  } catch {
    return [];
  }
}
