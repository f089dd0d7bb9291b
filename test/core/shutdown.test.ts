import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';

describe('shutdown', () => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(() => up.stop());

  it('lets a request in flight finish, and refuses new connections meanwhile', async () => {
    const t = await startGateway({ upstreamUrl: up.url });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    up.streaming = (_req, res) => {
      arrived();
      void released.then(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('finished');
      });
    };
    const inFlight = call(t.url, '/slow');
    await arrivedP;
    const closed = t.close();
    await expect(call(t.url, '/new')).rejects.toThrow(/ECONNREFUSED/);
    release();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.text).toBe('finished');
    await closed;
  });
});
