/**
 * What the upstream gets instead of the client's Bearer token, built once per verified token and
 * cached with it, as one flat `[name, value, name, value, ...]` array (half the memory of pairs).
 * The injector (src/auth/identity-headers.ts) drops the client's Authorization, then sets these:
 * a mode that replays a credential puts `authorization` in the list.
 */
export type UpstreamIdentity = readonly string[];

export type UpstreamMode = 'basic' | 'headers';
