import { freshnessFor, type StateFreshness } from '../state/state-freshness.js';
import { PortfolioTree } from '../state/portfolio-tree.js';
import { StateSync } from '../state/state-sync.js';
import { TokenState } from '../state/token-state.js';
import { SwappableUserSource } from '../users/swappable-user-source.js';
import type { UserSource } from '../users/types.js';
import type { GatewayContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';

/** The in-memory truth the hot path reads, the portfolio tree, and what keeps both equal to the store. */
export interface StatePart {
  readonly state: TokenState;
  readonly tree: PortfolioTree;
  /** The users file (or directory) in force; a reload swaps it, and the tree follows. */
  readonly users: SwappableUserSource;
  readonly sync: StateSync;
  /** How current the state is, with a shared store (Redis); undefined with SQLite. */
  readonly freshness: StateFreshness | undefined;
  /** Loads the state from the store and follows its changes. */
  start(): Promise<void>;
  stop(): void;
}

export function buildState(ctx: GatewayContext, initialUsers: UserSource, housekeeping: Housekeeping): StatePart {
  const { config, log, now } = ctx;
  const state = new TokenState(config.portfolios.allowed);
  // The users file's companies (read through the swappable source, so a reload brings its tree
  // along) over the edges sign-ins taught, which StateSync loads and keeps current.
  const users = new SwappableUserSource(initialUsers);
  const tree = new PortfolioTree(() => users.tree);
  // Before any token is opened or issued: a company's policy and key are its root's.
  state.useTree(tree);
  const sync = new StateSync(ctx.store, state, ctx.masterKey, log, now, tree);
  // Shared store: lag, staleness (503 token_store_stale past store.staleMaxSeconds), resync after a reconnect.
  const freshness = freshnessFor(ctx.store, sync, config.store, log);
  housekeeping.every(60_000, () => state.pruneRevoked(now() / 1000, config.tokens.clockSkewSeconds), 'could not prune expired revocations');
  return {
    state, tree, users, sync, freshness,
    async start() {
      await sync.start();
      freshness?.start();
      for (const id of Object.keys(config.identity.upstreamByPortfolio)) {
        // Looked up by root only: an override naming a sub-company would silently never apply.
        if (state.portfolioIdOf(id) !== id) log.warn({ companyId: id, root: state.portfolioIdOf(id) }, 'identity.upstreamByPortfolio names a sub-company: its root\'s mode applies; name the root instead');
      }
    },
    stop() {
      sync.stop();
      freshness?.stop();
    },
  };
}
