import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files (for config) and as PEM text (for test servers). */
export interface CertFiles {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

/**
 * A throwaway PKI made with the `openssl` command for one test file: a trusted CA, an
 * untrusted one, and certificates signed by them (P-256 keys: quick to make).
 */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'hlgw-pki-'));
  readonly ca: CertFiles;
  readonly otherCa: CertFiles;

  constructor() {
    this.ca = this.selfSigned('ca', 'hlgw test CA');
    this.otherCa = this.selfSigned('other-ca', 'someone else\'s CA');
  }

  /** A leaf certificate for `names` (DNS names or IP addresses), signed by `issuer`. */
  leaf(name: string, names: string[], opts: { issuer?: CertFiles; days?: number; client?: boolean } = {}): CertFiles {
    const issuer = opts.issuer ?? this.ca;
    const f = this.paths(name);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f.key, '-out', csr, '-subj', `/CN=${names[0] ?? name}`]);
    const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    writeFileSync(ext, `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=${opts.client ? 'clientAuth' : 'serverAuth'}\n`);
    // -days -1: notAfter lies before notBefore (now), i.e. already expired.
    openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', String(Date.now() * 1000 + (serial++ % 1000)),
      '-days', String(opts.days ?? 2), '-extfile', ext, '-out', f.cert]);
    return this.read(f);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private selfSigned(name: string, cn: string): CertFiles {
    const f = this.paths(name);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f.key, '-out', f.cert, '-days', '2', '-subj', `/CN=${cn}`]);
    return this.read(f);
  }

  private paths(name: string): { cert: string; key: string } {
    return { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
  }

  private read(f: { cert: string; key: string }): CertFiles {
    return { ...f, certPem: readFileSync(f.cert, 'utf8'), keyPem: readFileSync(f.key, 'utf8') };
  }
}

let serial = 0;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
