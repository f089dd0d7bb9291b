import { systemClock } from '../clock.js';
import { WebhookDispatcher } from '../lifecycle/webhook-dispatcher.js';
import { postWebhook } from '../lifecycle/webhook-request.js';
import { WebhookMetrics } from '../metrics/webhook-metrics.js';
import type { GatewayContext } from './context.js';
import { Housekeeping } from './housekeeping.js';
import type { ObservabilityPart } from './observability-part.js';
import type { ServicesPart } from './services-part.js';

/** Webhooks (`notifications`): the outbox's delivery and the expiring-token scan, off the request path. */
export interface WebhooksPart {
  /** Undefined without `notifications.webhooks` (nothing is queued then either). */
  readonly dispatcher: WebhookDispatcher | undefined;
  /** Starts the delivery rounds and the scan (every instance: the outbox's leases keep each event to one). */
  start(): void;
  /** Stops the timers and waits for the work under way (a round's POSTs end within notifications.timeoutMs). */
  stop(): Promise<void>;
}

export function buildWebhooks(ctx: GatewayContext, services: ServicesPart, obs: ObservabilityPart): WebhooksPart {
  const n = ctx.config.notifications;
  const report = new WebhookMetrics(obs.metrics.registry);
  if (n.webhooks.length === 0) return { dispatcher: undefined, start() {}, async stop() {} };
  const dispatcher = new WebhookDispatcher({
    store: ctx.store, notifications: n, announce: services.announcer, post: postWebhook, report, log: ctx.log, now: ctx.now,
    wallSeconds: () => Math.floor(systemClock.now() / 1000),
    random: Math.random,
    isActive: (r) => services.tokens.status(r) === 'active',
  });
  const timers = new Housekeeping(ctx.timers, ctx.log);
  // One piece of work at a time on this instance, in the order the timers asked: a scan's events
  // are there for the round after it, and stop() has one promise to wait for.
  let work: Promise<unknown> = Promise.resolve();
  const queue = (task: () => Promise<unknown>) => (work = work.catch(() => undefined).then(task));
  timers.every(n.pollSeconds * 1000, () => queue(() => dispatcher.deliverDue()), 'webhook delivery round failed (retried at the next one)');
  timers.every(n.expiringScanSeconds * 1000, () => queue(() => dispatcher.scanExpiring()), 'could not look for expiring tokens (retried at the next scan)');
  return {
    dispatcher,
    start: () => timers.start(),
    async stop() {
      timers.stop();
      await work.catch(() => undefined);
    },
  };
}
