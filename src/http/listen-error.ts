/** A listen() failure that knows which config key holds the port (for the EADDRINUSE hint). */
export interface ListenFailure extends NodeJS.ErrnoException {
  configKey?: string;
}

/** `server.once('error', tagListenError(reject, 'demoUpstream.port'))`: the error says whose port it was. */
export function tagListenError(reject: (err: Error) => void, configKey: string): (err: Error) => void {
  return (err) => reject(Object.assign(err, { configKey }));
}

/** The one line the CLI prints for a port in use or refused. */
export function describeListenError(err: ListenFailure): string | undefined {
  if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES' && err.code !== 'EADDRNOTAVAIL') return undefined;
  const where = (err as { address?: string; port?: number }).port !== undefined
    ? `${(err as { address?: string }).address ?? ''}:${(err as { port?: number }).port}` : '';
  const what = err.code === 'EADDRINUSE' ? 'address already in use (is another gateway running?)'
    : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : 'no such local address';
  const key = err.configKey ?? 'server.port / admin.port / demoUpstream.port';
  return `cannot listen on ${where}: ${what}; change ${key} in the config`;
}
