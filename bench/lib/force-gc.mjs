// Forces a full garbage collection in a child started with --inspect=127.0.0.1:0, through the
// inspector protocol (HeapProfiler.collectGarbage), so heap figures count live objects only.
import { WebSocket } from 'undici';

export function inspectorUrl(info) {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(info.stderr)?.[1];
}

export function forceGc(wsUrl, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const t = setTimeout(() => { ws.close(); reject(new Error('inspector: no answer to HeapProfiler.collectGarbage')); }, timeoutMs);
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== 1) return;
      clearTimeout(t);
      ws.close();
      return msg.error ? reject(new Error(`inspector: ${msg.error.message}`)) : resolve();
    };
    ws.onerror = () => { clearTimeout(t); reject(new Error(`inspector: cannot connect to ${wsUrl}`)); };
  });
}
