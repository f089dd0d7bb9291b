// Sends each token once (priming a cache, or the memory phase), with bounded concurrency and
// a deadline. Uses undici from the load CPU; answers are read and counted by status.
import { Pool } from 'undici';

export async function driveTokens(url, tokens, { concurrency = 16, deadlineMs = 120_000 } = {}) {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const status = {};
  const stopAt = Date.now() + deadlineMs;
  let next = 0;
  let timedOut = false;
  const worker = async () => {
    while (next < tokens.length) {
      if (Date.now() > stopAt) { timedOut = true; return; }
      const token = tokens[next++];
      const r = await pool.request({ path: '/bench', method: 'GET', headers: { authorization: `Bearer ${token}` } });
      await r.body.dump();
      status[r.statusCode] = (status[r.statusCode] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  if (timedOut) throw new Error(`driving ${tokens.length} tokens took longer than ${deadlineMs} ms (sent ${next})`);
  return { sent: next, status };
}
