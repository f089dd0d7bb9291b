import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { RecordingUpstream } from './recording-upstream.js';

/** One webhook request the receiver accepted, its signature checked. */
export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** The raw body, for "never a token or secret" checks. */
  body: string;
}

/** A fresh Standard Webhooks secret (`whsec_` + 32 random bytes in base64). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * A real HTTP receiver on loopback that checks every request's signature with the reference
 * `standardwebhooks` package (an implementation independent of the gateway's): a request whose
 * signature does not verify is answered 400 and counted in `rejected`, never recorded. `down`
 * answers 503 to everything (a receiver that is unavailable for a while).
 */
export class WebhookReceiver {
  readonly events: ReceivedEvent[] = [];
  rejected = 0;
  down = false;
  private readonly upstream = new RecordingUpstream();
  private readonly verifier: Webhook;

  constructor(readonly secret: string) {
    this.verifier = new Webhook(secret);
  }

  get url(): string {
    return `${this.upstream.url}/hooks`;
  }

  /** Every request that arrived, accepted or not. */
  get attempts(): number {
    return this.upstream.requests.length;
  }

  async start(): Promise<this> {
    this.upstream.respond = (req, res, body) => {
      if (this.down) return void res.writeHead(503).end();
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]));
      let payload: { type: string; timestamp: string; data: Record<string, unknown> };
      try {
        payload = this.verifier.verify(body.toString(), headers) as typeof payload;
      } catch {
        this.rejected++;
        return void res.writeHead(400).end();
      }
      this.events.push({ id: headers['webhook-id']!, ...payload, body: body.toString() });
      res.writeHead(204).end();
    };
    await this.upstream.start();
    return this;
  }

  ofType(type: string): ReceivedEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  stop(): Promise<void> {
    return this.upstream.stop();
  }
}
