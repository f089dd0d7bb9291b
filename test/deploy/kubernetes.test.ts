import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULTS, type GatewayConfig } from '../../src/config/schema.js';
import { DRAIN_MS } from '../../src/gateway/listen.js';
import { call } from '../support/http-call.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';
import { tsFiles } from '../support/source-files.js';

const DIR = resolve(import.meta.dirname, '../../deploy/kubernetes');
const DOCKERFILE = resolve(import.meta.dirname, '../../Dockerfile');
const SRC = resolve(import.meta.dirname, '../../src');
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

/** After the drain's cut: closing the store and exiting, with slack for a loaded node. */
const EXIT_MARGIN_SECONDS = 5;

/** Values for the `${VAR}`s the ConfigMap's config reads (the Deployment takes them from the Secret). */
const TEST_ENV = {
  HLGW_REDIS_URL: 'redis://:secret@redis:6379',
  HLGW_OPERATOR_TOKEN: 'operator-token-of-at-least-32-characters',
};

// Only the fields the checks below read; the schema check covers the rest.
interface HttpProbe { httpGet: { path: string; port: string } }
interface ContainerPort { name: string; containerPort: number }
interface EnvVar { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container {
  image: string; command?: string[]; args: string[]; ports: ContainerPort[]; env: EnvVar[];
  readinessProbe: HttpProbe; livenessProbe: HttpProbe; startupProbe: HttpProbe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  securityContext: { runAsNonRoot: boolean; readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface DeploymentDoc {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number; runAsGroup: number };
        containers: Container[];
        volumes: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}
interface ServiceDoc { metadata: { labels: Record<string, string> }; spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } }
interface ConfigMapDoc { metadata: { name: string }; data: Record<string, string> }
interface PdbDoc { spec: { selector: { matchLabels: Record<string, string> } } }
interface ServiceMonitorDoc { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }

/** The schema of each kind, from kubernetes-models (the Kubernetes OpenAPI schemas) and its Prometheus-operator models. */
const MODELS: Record<string, (doc: unknown) => { validate(): void }> = {
  'v1/ConfigMap': (d) => new ConfigMap(d as ConstructorParameters<typeof ConfigMap>[0]),
  'v1/Service': (d) => new Service(d as ConstructorParameters<typeof Service>[0]),
  'apps/v1/Deployment': (d) => new Deployment(d as ConstructorParameters<typeof Deployment>[0]),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d as ConstructorParameters<typeof PodDisruptionBudget>[0]),
  'monitoring.coreos.com/v1/ServiceMonitor': (d) => new ServiceMonitor(d as ConstructorParameters<typeof ServiceMonitor>[0]),
};

interface Manifest { file: string; kind: string; doc: Record<string, unknown> }

/** Every document of every manifest (kustomization.yaml is kustomize's, not the cluster's). */
function readManifests(): Manifest[] {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      const doc = d.toJS() as Record<string, unknown>;
      return { file, kind: `${String(doc.apiVersion)}/${String(doc.kind)}`, doc };
    }),
  );
}

const manifests = readManifests();
function one<T>(kind: string): T {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.doc as T;
}

/** The Dockerfile's last stage: its exec-form ENTRYPOINT and CMD, its USER, its EXPOSEd ports. */
function dockerfile(): { entrypoint: string[]; cmd: string[]; user: string; expose: number[] } {
  const text = readFileSync(DOCKERFILE, 'utf8');
  const last = (op: string) => [...text.matchAll(new RegExp(`^${op} (.+)$`, 'gm'))].at(-1)?.[1] ?? '';
  return {
    entrypoint: JSON.parse(last('ENTRYPOINT')) as string[],
    cmd: JSON.parse(last('CMD')) as string[],
    user: last('USER'),
    expose: last('EXPOSE').split(/\s+/).map(Number),
  };
}

const deployment = one<DeploymentDoc>('apps/v1/Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;
const service = one<ServiceDoc>('v1/Service');
const configMap = one<ConfigMapDoc>('v1/ConfigMap');

/** The ConfigMap's gateway.yaml, through the gateway's own loader (`${VAR}` interpolation, schema, defaults). */
function loadConfigMapConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-k8s-'));
  try {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, configMap.data['gateway.yaml']!);
    return loadConfigFile(file, env);
  } finally {
    rmSync(dir, { recursive: true });
  }
}
const config = loadConfigMapConfig(TEST_ENV);

describe('deploy/kubernetes: every manifest against its kind\'s schema', () => {
  it('holds the five kinds, each valid', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(Object.keys(MODELS).sort());
    for (const m of manifests) expect(() => MODELS[m.kind]!(m.doc).validate(), m.file).not.toThrow();
  });

  // The check can fail: the same Deployment, each time with one mistake the schema catches.
  it.each<[string, (d: DeploymentDoc) => void]>([
    ['a port given as text', (d) => { (d.spec.template.spec.containers[0]!.ports[0] as unknown as { containerPort: string }).containerPort = '8080'; }],
    ['no selector', (d) => { delete (d.spec as Partial<DeploymentDoc['spec']>).selector; }],
    ['no containers', (d) => { delete (d.spec.template.spec as Partial<DeploymentDoc['spec']['template']['spec']>).containers; }],
    ['a grace period as text', (d) => { (d.spec.template.spec as unknown as { terminationGracePeriodSeconds: string }).terminationGracePeriodSeconds = '20s'; }],
  ])('refuses a Deployment with %s', (_name, breakIt) => {
    const broken = structuredClone(deployment);
    breakIt(broken);
    expect(() => MODELS['apps/v1/Deployment']!(broken).validate()).toThrow();
  });

  it('kustomization.yaml lists every manifest, and each listed file exists', () => {
    const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[]; images: { name: string }[] };
    expect(k.kind).toBe('Kustomization');
    for (const r of k.resources) expect(existsSync(join(DIR, r)), r).toBe(true);
    expect([...k.resources].sort()).toEqual([...new Set(manifests.map((m) => m.file))]);
    expect(k.images.map((i) => i.name)).toEqual(pod.containers.map((c) => c.image));
  });
});

describe('deploy/kubernetes: the config in the ConfigMap', () => {
  it('passes the gateway\'s own validation, with Redis for several replicas and both listeners on the pod\'s address', () => {
    expect(config.store.type).toBe('redis');
    expect(config.server.host).toBe('0.0.0.0');
    // The default is loopback, where neither the kubelet's probes nor Prometheus reach.
    expect(config.admin.host).toBe('0.0.0.0');
    expect(config.demoUpstream.enabled).toBe(false);
    expect(config.admin.operatorToken).toEqual({ fromEnv: 'HLGW_OPERATOR_TOKEN' });
  });

  it('is refused without the variables it reads: each one is given to the container', () => {
    expect(() => loadConfigMapConfig({})).toThrow(/HLGW_REDIS_URL/);
    const vars = [...configMap.data['gateway.yaml']!.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!);
    const given = new Set(container.env.map((e) => e.name));
    for (const v of [...vars, 'HLGW_OPERATOR_TOKEN']) expect(given, v).toContain(v);
  });

  it('the master key, operator token and Redis URL come from the Secret, never written in a manifest', () => {
    for (const name of ['HLGW_MASTER_KEY', 'HLGW_OPERATOR_TOKEN', 'HLGW_REDIS_URL']) {
      expect(container.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name, name).toBe('hlgw');
    }
  });
});

describe('deploy/kubernetes: the Deployment matches the gateway and its image', () => {
  const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));

  it('container ports are the config\'s (the defaults), the ones the image exposes', () => {
    expect(ports).toEqual({ http: config.server.port, admin: config.admin.port });
    expect([config.server.port, config.admin.port]).toEqual([DEFAULTS.proxyPort, DEFAULTS.adminPort]);
    expect(dockerfile().expose).toEqual([DEFAULTS.proxyPort, DEFAULTS.adminPort]);
  });

  it('runs the image\'s entrypoint with `serve` and the ConfigMap\'s file', () => {
    const image = dockerfile();
    expect(container.command).toBeUndefined();
    expect(image.entrypoint).toEqual(['node', 'dist/cli.js']);
    expect(container.args[0]).toBe(image.cmd[0]);
    const configPath = container.args[container.args.indexOf('--config') + 1]!;
    const mount = container.volumeMounts.find((m) => configPath.startsWith(`${m.mountPath}/`))!;
    expect(pod.volumes.find((v) => v.name === mount.name)?.configMap?.name).toBe(configMap.metadata.name);
    expect(Object.keys(configMap.data)).toContain(configPath.slice(mount.mountPath.length + 1));
  });

  it('probes /readyz and /healthz on the admin port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
  });

  it('the grace period covers preStop, the gateway\'s drain delay and its cut of requests in flight', () => {
    const [sleep, seconds] = container.lifecycle.preStop.exec.command;
    expect(sleep).toBe('sleep');
    const preStop = Number(seconds);
    expect(preStop).toBeGreaterThan(0);
    // SIGTERM comes after preStop; then /readyz 503 for server.shutdownDelaySeconds, then DRAIN_MS for requests in flight.
    const needed = preStop + config.server.shutdownDelaySeconds + DRAIN_MS / 1000 + EXIT_MARGIN_SECONDS;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
  });

  it('runs as the image\'s non-root user, read-only, without privilege escalation or capabilities', () => {
    const [uid, gid] = dockerfile().user.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    });
  });

  // A read-only root filesystem holds only if the gateway writes nothing there. These are the
  // only writes in src/ (a new one fails here, to be given a volume): the master key file, not
  // written when HLGW_MASTER_KEY is set, and the SQLite file, not used with Redis.
  it('writes nothing to the filesystem with this config', () => {
    const writers = tsFiles(SRC)
      .filter((f) => /\b(writeFileSync|writeFile|appendFile\w*|createWriteStream|mkdirSync|mkdtemp\w*|renameSync|copyFile\w*)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(SRC.length + 1))
      .sort();
    expect(writers).toEqual(['secrets/master-key.ts', 'store/sqlite-store.ts']);
    expect(container.env.map((e) => e.name)).toContain('HLGW_MASTER_KEY');
    expect(config.store.type).toBe('redis');
  });
});

describe('deploy/kubernetes: Service, PodDisruptionBudget and ServiceMonitor select the pods', () => {
  const podLabels = deployment.spec.template.metadata.labels;

  it('the Deployment, Service and budget select the pod\'s labels', () => {
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(service.spec.selector);
    expect(podLabels).toMatchObject(one<PdbDoc>('policy/v1/PodDisruptionBudget').spec.selector.matchLabels);
  });

  it('the Service forwards to the container\'s named ports', () => {
    const names = container.ports.map((p) => p.name);
    for (const p of service.spec.ports) expect(names).toContain(p.targetPort);
  });

  it('the ServiceMonitor selects the Service and scrapes /metrics on its admin port', () => {
    const sm = one<ServiceMonitorDoc>('monitoring.coreos.com/v1/ServiceMonitor');
    expect(service.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    const [endpoint] = sm.spec.endpoints;
    expect(endpoint!.path).toBe('/metrics');
    expect(service.spec.ports.find((p) => p.name === endpoint!.port)?.targetPort).toBe('admin');
  });
});

// docs/OPERATIONS.md "Kubernetes" names the stop's figures: they must be the manifests' and the code's.
describe('docs/OPERATIONS.md "Kubernetes"', () => {
  it('names the preStop sleep, drain delay, drain cut and grace period in force', () => {
    const ops = readFileSync(resolve(import.meta.dirname, '../../docs/OPERATIONS.md'), 'utf8');
    const section = ops.slice(ops.indexOf('\n## Kubernetes'));
    const preStop = container.lifecycle.preStop.exec.command[1]!;
    const delay = config.server.shutdownDelaySeconds;
    const drain = DRAIN_MS / 1000;
    expect(section).toContain(`\`sleep ${preStop}\``);
    expect(section).toContain(`\`server.shutdownDelaySeconds\` (${delay} s)`);
    expect(section).toContain(`up to ${drain} s (\`DRAIN_MS\``);
    expect(section).toContain(`cover ${preStop} + ${delay} + ${drain} s`);
    expect(section).toContain(`it is ${pod.terminationGracePeriodSeconds} s`);
    expect(section).toContain(`plus ${EXIT_MARGIN_SECONDS} s for the exit`);
  });
});

/**
 * `argv` in a user and mount namespace whose root filesystem is remounted read-only, as
 * readOnlyRootFilesystem gives the pod (/dev/shm stays writable, as in a pod), from `cwd` (the
 * image's /app: no data/ directory in it).
 */
function withReadOnlyRoot(argv: string[], env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  return spawn('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -o remount,ro,bind / && exec "$@"', 'sh', ...argv],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** How the process ended and everything it printed. */
function ended(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
  return new Promise((res) => child.once('exit', (code) => res({ code, output })));
}

/** The admin URL from the start-up banner; rejects with the output if the process ends first. */
function adminUrlOf(child: ChildProcess, exit: Promise<{ code: number | null; output: string }>): Promise<string> {
  let output = '';
  return new Promise((res, rej) => {
    const look = (b: Buffer) => {
      output += b.toString();
      const m = /\(metrics and health: (http:\/\/\S+)\/metrics/.exec(output);
      if (m) res(m[1]!);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    void exit.then((e) => rej(new Error(`the gateway ended (exit ${e.code}) before listening:\n${e.output.slice(-3000)}`)));
  });
}

// readOnlyRootFilesystem, for real: `hlgw serve` as the Deployment runs it (the ConfigMap's file,
// the Secret's variables, a real Redis) on a root filesystem remounted read-only.
describe.skipIf(lacks('redis-server') || lacks('unshare'))('deploy/kubernetes: the gateway on a read-only root filesystem', () => {
  const redis = new RedisServer();
  let dir: string;
  let configFile: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it in pretest)`);
    await redis.start();
    dir = mkdtempSync(join(tmpdir(), 'hlgw-k8s-ro-'));
    // The ConfigMap's file as is, but on loopback and on ports the OS picks (suites run in parallel).
    const doc = parseDocument(configMap.data['gateway.yaml']!);
    for (const part of ['server', 'admin']) {
      doc.setIn([part, 'host'], '127.0.0.1');
      doc.setIn([part, 'port'], 0);
    }
    configFile = join(dir, 'gateway.yaml');
    writeFileSync(configFile, String(doc));
    env = { PATH: process.env.PATH, HLGW_MASTER_KEY: randomBytes(32).toString('base64'), HLGW_REDIS_URL: redis.url, HLGW_OPERATOR_TOKEN: TEST_ENV.HLGW_OPERATOR_TOKEN };
  });
  afterAll(async () => {
    await redis.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the root is read-only there: a write fails', async () => {
    const r = await ended(withReadOnlyRoot(['touch', join(dir, 'written')], env, dir));
    expect(r.output).toContain('Read-only file system');
    expect(r.code).not.toBe(0);
  });

  it('without HLGW_MASTER_KEY the gateway would write a key file: it cannot start', async () => {
    const { HLGW_MASTER_KEY: _key, ...noKey } = env;
    const r = await ended(withReadOnlyRoot([process.execPath, CLI, ...container.args.slice(0, -1), configFile], noKey, dir));
    // Node's recursive mkdir reports a read-only filesystem as ENOENT: the key file's directory is what failed.
    expect(r.output).toContain(`mkdir '${dirname(config.secrets.masterKeyFile)}'`);
    expect(r.code).not.toBe(0);
  });

  it('with the Secret\'s variables it serves /readyz, /healthz and /metrics, and stops on SIGTERM with exit 0', async () => {
    expect(container.args.at(-2)).toBe('--config');
    const child = withReadOnlyRoot([process.execPath, CLI, ...container.args.slice(0, -1), configFile], env, dir);
    const exit = ended(child);
    const admin = await adminUrlOf(child, exit);
    try {
      for (const path of ['/readyz', '/healthz', '/metrics']) expect((await call(admin, path)).status, path).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const r = await exit;
    expect(r.output).not.toMatch(/EROFS|EACCES|ENOENT/);
    expect(r.code).toBe(0);
  });
});
