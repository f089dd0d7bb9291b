import { Counter, Gauge, type Registry } from 'prom-client';

type DeliveryResult = 'delivered' | 'failed' | 'dropped';

/**
 * Webhook delivery (src/lifecycle/webhook-dispatcher.ts): each POST a receiver accepted
 * (`delivered`) or not (`failed`, a retry follows), each event given up past the retry horizon
 * (`dropped`), and the outbox's depth as this instance last read it (the whole store's, so every
 * instance on one Redis reports the same number: `max` it).
 */
export class WebhookMetrics {
  private readonly deliveries: Counter;
  private readonly depthGauge: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'hlgw_webhook_deliveries_total', help: 'Webhook POSTs accepted (delivered) or not (failed), and events given up (dropped), by event type',
      labelNames: ['event', 'result'], registers,
    });
    this.depthGauge = new Gauge({ name: 'hlgw_webhook_outbox_depth', help: 'Webhook events waiting in the store\'s outbox (read at each delivery round)', registers, aggregator: 'max' });
  }

  count(event: string, result: DeliveryResult): void {
    this.deliveries.inc({ event, result });
  }

  depth(n: number): void {
    this.depthGauge.set(n);
  }
}
