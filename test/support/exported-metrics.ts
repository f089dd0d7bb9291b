import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { call } from './http-call.js';
import { RecordingUpstream } from './recording-upstream.js';
import { sharedRedisUrl } from './redis-server.js';
import { startGateway } from './start-gateway.js';

/**
 * Every sample name a real gateway exports on its admin port: a histogram `x` gives `x_bucket`,
 * `x_sum` and `x_count`. Read from the `# TYPE` lines, so a labelled metric that has seen no
 * observation yet counts too. The gateway runs on the Redis store (the run's redis-server),
 * which exports the most: lag, its bound, propagation.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const up = await new RecordingUpstream().start();
  const url = sharedRedisUrl();
  const store = await RedisStore.open({ url, prefix: `m${randomBytes(6).toString('hex')}`, log: createLogger('silent') });
  const t = await startGateway({ upstreamUrl: up.url, store, config: { store: { type: 'redis', url } } });
  try {
    const text = (await call(t.admin, '/metrics')).text;
    const names = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      const [, name, type] = m as unknown as [string, string, string];
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
      else names.add(name);
    }
    return names;
  } finally {
    await t.close();
    await store.close();
    await up.stop();
  }
}
