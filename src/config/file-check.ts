import { X509Certificate, createPrivateKey } from 'node:crypto';

/** A file the config names and what reading it must succeed at (`hlgw check-config`, TLS reloads). */
export interface FileCheck {
  key: string;
  path: string;
  /** Throws (with a message fit for an operator) when the content is unusable. */
  parse(text: string): void | Promise<void>;
}

/** Throws unless the PEM key belongs to the PEM certificate (server.tls, upstream.tls). */
export function checkPair(certPem: string, keyPem: string): void {
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the key does not belong to this certificate');
}
