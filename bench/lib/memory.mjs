// Memory phase: RSS of a fresh gateway child idle, after a short warm-up, and after 100,000
// distinct valid tokens have been verified and cached; bytes per cached entry from the deltas.
// The child runs with --inspect on loopback so a full GC can be forced before each heap reading.
import { driveTokens } from './drive.mjs';
import { forceGc, inspectorUrl } from './force-gc.mjs';
import { scrape, startGateway } from './gateways.mjs';
import { GATEWAYS } from './rows.mjs';

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

async function sample(gw, ws) {
  const before = await scrape(gw.admin);
  let gc = false;
  if (ws) {
    await forceGc(ws);
    gc = true;
  }
  const m = await scrape(gw.admin);
  if (!m || !before) throw new Error('memory phase: the admin /metrics endpoint did not answer');
  return {
    rss: before.get('hlgw_process_resident_memory_bytes'),
    heapUsed: before.get('hlgw_nodejs_heap_size_used_bytes'),
    rssAfterGc: gc ? m.get('hlgw_process_resident_memory_bytes') : null,
    heapUsedAfterGc: gc ? m.get('hlgw_nodejs_heap_size_used_bytes') : null,
    cacheEntries: m.get('hlgw_token_cache_entries'),
  };
}

export async function measureMemory(session, tokens) {
  // cache.maxEntries above 100k: all of them stay cached.
  const spec = { ...GATEWAYS.gw, name: 'gateway-memory', cacheMaxEntries: 110_000, nodeArgs: ['--inspect=127.0.0.1:0'] };
  const gw = await startGateway(spec, session.ctx);
  const ws = inspectorUrl(gw.info);
  await settle(1000);
  const idle = await sample(gw, ws);
  // Warm-up with 2,000 tokens so JIT code and buffers are counted in the baseline, not per entry.
  await driveTokens(gw.url, tokens.slice(0, 2000), { deadlineMs: 60_000 });
  await settle(500);
  const warm = await sample(gw, ws);
  const t0 = performance.now();
  const drove = await driveTokens(gw.url, tokens, { deadlineMs: 150_000 });
  const seconds = (performance.now() - t0) / 1000;
  await settle(1000);
  const after = await sample(gw, ws);
  const added = after.cacheEntries - warm.cacheEntries;
  return {
    tokensDriven: drove.sent, status: drove.status, seconds, cacheMaxEntries: spec.cacheMaxEntries, gcForced: Boolean(ws),
    idle, warm, after,
    addedEntries: added,
    rssAddedBytes: after.rss - idle.rss,
    bytesPerEntryRss: added > 0 ? (after.rss - warm.rss) / added : null,
    bytesPerEntryHeap: added > 0 && ws ? (after.heapUsedAfterGc - warm.heapUsedAfterGc) / added : null,
  };
}
