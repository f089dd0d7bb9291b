import { readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { GatewayConfig } from '../config/schema.js';
import { ErrorResponder } from '../http/error-responses.js';
import type { Logger } from '../log.js';
import type { ForwarderName } from '../proxy/forwarder.js';
import type { MasterKey } from '../secrets/master-key.js';
import type { Store } from '../store/types.js';
import { systemTimers, type Timers } from './housekeeping.js';

export interface GatewayDeps {
  config: GatewayConfig;
  store: Store;
  masterKey: MasterKey;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Overrides `upstream.client` (the parameterised test suite runs both). */
  forwarder?: ForwarderName;
  /** Periodic housekeeping (revocation pruning, session purge, key refresh); tests may drive it. */
  timers?: Timers;
  /** Reads a file the config names (users.file, admin.operatorToken.file). */
  readFile?: (path: string) => string;
}

/** What every part is built from: the deps with their defaults, and the pieces all parts share. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly masterKey: MasterKey;
  readonly log: Logger;
  readonly clock: Clock;
  readonly now: () => number;
  readonly env: NodeJS.ProcessEnv;
  readonly timers: Timers;
  readonly readFile: (path: string) => string;
  /** The one code → HTTP table, with the configured realm. */
  readonly errors: ErrorResponder;
  readonly trustedProxies: ReadonlySet<string>;
}

export function contextOf(deps: GatewayDeps): GatewayContext {
  const clock = deps.clock ?? systemClock;
  return {
    config: deps.config,
    store: deps.store,
    masterKey: deps.masterKey,
    log: deps.logger,
    clock,
    now: () => clock.now(),
    env: deps.env ?? process.env,
    timers: deps.timers ?? systemTimers,
    readFile: deps.readFile ?? ((path) => readFileSync(path, 'utf8')),
    errors: new ErrorResponder(deps.config.tokens.realm),
    trustedProxies: new Set(deps.config.server.trustedProxies),
  };
}
