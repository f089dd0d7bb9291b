import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/load.js';
import { COMPANY_ID_RE } from '../token/format.js';
import { normalizeLogin } from './normalize-login.js';
import { hashPassword, parsePasswordHash, passwordMark, verifyPassword } from './password-hash.js';
import type { UserIdentity, UserSource, UserStanding } from './types.js';
import { CompanyTree, CompanyTreeError } from './company-tree.js';

const userSchema = z.strictObject({
  login: z.string().min(1).max(255),
  /** `scrypt$N$r$p$salt$hash`, as printed by `hlgw hash-password`. */
  passwordHash: z.string().refine((s) => parsePasswordHash(s) !== undefined, 'expected a hash printed by `hlgw hash-password`'),
  userId: z.union([z.string().min(1), z.number().int()]).transform(String),
  companyId: z.string().regex(COMPANY_ID_RE, 'expected a company id'),
  roles: z.array(z.string().min(1)).default([]),
});
const companySchema = z.strictObject({
  id: z.string().regex(COMPANY_ID_RE, 'expected a company id'),
  name: z.string().min(1).max(255),
  /** Absent: a root company, i.e. a portfolio (src/users/company-tree.ts). */
  parent: z.string().regex(COMPANY_ID_RE, 'expected a company id').optional(),
});
/** `companies` is optional: without it every company is its own portfolio. */
const fileSchema = z.strictObject({ users: z.array(userSchema), companies: z.array(companySchema).default([]) });

type FileUser = z.infer<typeof userSchema>;

/**
 * `users.source: file`: a YAML list of users with scrypt password hashes, read once at start.
 * Logins compare in their normalised form (normalizeLogin: NFKC, case-folded). An unknown login
 * still costs one hash verification, so
 * the answer time does not tell which logins exist.
 */
export class FileUserSource implements UserSource {
  readonly kind = 'file' as const;

  private constructor(private readonly byLogin: ReadonlyMap<string, FileUser>, private readonly dummyHash: string, readonly tree: CompanyTree) {}

  /** Reads and checks the users file; `readFile` is injected by the composition root (tests, other file systems). */
  static async load(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Promise<FileUserSource> {
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw new ConfigError(path, [{ path: '', message: `cannot read users file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
    }
    return FileUserSource.fromYaml(text, path);
  }

  static async fromYaml(text: string, source: string): Promise<FileUserSource> {
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
    const parsed = fileSchema.safeParse(doc.toJS() ?? {});
    if (!parsed.success) {
      throw new ConfigError(source, parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    }
    const byLogin = new Map<string, FileUser>();
    const problems: { path: string; message: string }[] = [];
    parsed.data.users.forEach((u, i) => {
      const key = normalizeLogin(u.login);
      if (byLogin.has(key)) problems.push({ path: `users.${i}.login`, message: 'duplicate login' });
      byLogin.set(key, u);
    });
    let tree: CompanyTree;
    try {
      // A user's company is named by the file as much as one under `companies`: nothing learned moves it.
      tree = new CompanyTree(parsed.data.companies, parsed.data.users.map((u) => u.companyId));
    } catch (err) {
      if (!(err instanceof CompanyTreeError)) throw err;
      problems.push(...err.problems);
      tree = new CompanyTree();
    }
    if (problems.length > 0) throw new ConfigError(source, problems);
    // Same cost as a real entry with the default parameters.
    return new FileUserSource(byLogin, await hashPassword('hlgw-dummy-password'), tree);
  }

  get size(): number {
    return this.byLogin.size;
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    const u = this.byLogin.get(normalizeLogin(login));
    const ok = await verifyPassword(password, u?.passwordHash ?? this.dummyHash);
    if (!u || !ok) return undefined;
    return { userId: u.userId, login: u.login, companyId: u.companyId, roles: u.roles, passwordMark: passwordMark(u.passwordHash) };
  }

  standingOf(login: string): UserStanding {
    const u = this.byLogin.get(normalizeLogin(login));
    return u ? standingOfEntry(u) : { kind: 'absent' };
  }

  /** Every user with their standing (a reload compares the old file's with the new one's). */
  *standings(): Iterable<{ login: string } & UserStanding & { kind: 'listed' }> {
    for (const u of this.byLogin.values()) yield { login: u.login, ...standingOfEntry(u) };
  }

  rolesOf(userId: string, login: string, companyId: string): readonly string[] {
    const u = this.byLogin.get(normalizeLogin(login));
    return u && u.userId === userId && u.companyId === companyId ? u.roles : [];
  }

  /** Whether this login is still here with this user id and company (src/lifecycle/revoke-removed-users.ts). */
  contains(owner: { userId: string; login: string; companyId: string }): boolean {
    const u = this.byLogin.get(normalizeLogin(owner.login));
    return u !== undefined && u.userId === owner.userId && u.companyId === owner.companyId;
  }

  /** The companies of the file's users (the start-up sweep of companies moved to another portfolio). */
  companyIds(): string[] {
    return [...new Set([...this.byLogin.values()].map((u) => u.companyId))];
  }

  close(): void {}
}

function standingOfEntry(u: FileUser): UserStanding & { kind: 'listed' } {
  return { kind: 'listed', userId: u.userId, companyId: u.companyId, roles: u.roles, passwordMark: passwordMark(u.passwordHash) };
}
