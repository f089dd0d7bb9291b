import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { FakeClock } from './fake-clock.js';
import { startGateway, type TestGateway } from './start-gateway.js';

/** config/gateway.yaml as shipped, less its demo echo API (the tests put their own upstream in). */
export function demoConfig(): Record<string, unknown> {
  const { upstream: _demoApi, ...demo } = parse(readFileSync('config/gateway.yaml', 'utf8')) as Record<string, unknown>;
  return { ...demo, demoUpstream: { enabled: false } };
}

/** A gateway on the shipped demo config in front of `upstreamUrl` (ports chosen by the OS). */
export function startDemoGateway(upstreamUrl: string, o: { clock?: FakeClock; config?: Record<string, unknown> } = {}): Promise<TestGateway> {
  return startGateway({ upstreamUrl, clock: o.clock, config: { ...demoConfig(), ...o.config } });
}
