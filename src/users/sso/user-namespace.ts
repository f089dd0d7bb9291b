/**
 * SSO users live in their own namespace: the user id stored, listed and sent upstream for a
 * provider's user is `<provider>:<subject>`. Provider names are `[a-z0-9-]` (no `:`), so two
 * providers' ids never meet; a password source's id in a provider's namespace is refused
 * (src/users/learning-user-source.ts), so no password user can meet one either.
 */
const SSO_ID_SEPARATOR = ':';

export function ssoUserId(provider: string, subject: string): string {
  return `${provider}${SSO_ID_SEPARATOR}${subject}`;
}

/** The configured provider whose namespace `userId` is in, if any. */
export function ssoNamespaceOf(userId: string, providers: readonly string[]): string | undefined {
  const i = userId.indexOf(SSO_ID_SEPARATOR);
  if (i < 0) return undefined;
  const prefix = userId.slice(0, i);
  return providers.includes(prefix) ? prefix : undefined;
}
