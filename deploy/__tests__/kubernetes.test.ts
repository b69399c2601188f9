/**
 * Checks deploy/k8s offline, since no cluster runs where the suite runs: both
 * overlays built (./kustomize.ts; compared with `kubectl kustomize` when kubectl
 * is installed), every object validated against the Kubernetes schemas that
 * `kubernetes-models` ships, and the objects checked against the code: probes
 * on the paths the services serve, the ports they listen on, resources, the
 * environment variables their configuration reads (and accepts), secrets by
 * reference only, the supergraph where the router reads it, and the
 * NetworkPolicies admitting exactly the intended paths.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { LAUNCHER_ENV_NAMES, launcherConfigFromEnv } from '../../apps/launcher/src/config.js';
import { ROUTER_ENV_NAMES } from '../../router/src/config.js';
import { SUBGRAPHS, SUPERGRAPH_PATH } from '../../schema/src/index.js';
import { kustomizeBuild, REPO_ROOT, type K8sObject, type PodSpec } from './kustomize.js';

const OVERLAYS = { development: 'shop-dev', production: 'shop' } as const;
type Overlay = keyof typeof OVERLAYS;
const overlayDir = (overlay: Overlay) => join(REPO_ROOT, 'deploy/k8s/overlays', overlay);
const DATA_POLICIES = join(REPO_ROOT, 'deploy/k8s/data-policies');
const built: Record<Overlay, K8sObject[]> = { development: kustomizeBuild(overlayDir('development')), production: kustomizeBuild(overlayDir('production')) };
const dataPolicies = kustomizeBuild(DATA_POLICIES);

const SUBGRAPH_NAMES = SUBGRAPHS.map((subgraph) => subgraph.name);
const SCALED = ['router', ...SUBGRAPH_NAMES];
/** The launcher's port variable of each service and the port it defaults to (apps/launcher/src/config.ts, router/src/config.ts). */
const PORT_VARIABLE: Record<string, string> = { router: 'ROUTER_PORT', products: 'PRODUCTS_PORT', orders: 'ORDERS_PORT', payments: 'PAYMENTS_PORT', 'payment-provider': 'PAYMENT_PROVIDER_PORT' };
/** The Secrets the manifests refer to, created beside them (deploy/k8s/README.md) and never stored in the repository. */
const SECRETS = { 'shop-database': ['url'], 'shop-jwt': ['secret'], 'shop-subgraph-secrets': SUBGRAPH_NAMES };

const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** The image's command (the Dockerfile's CMD), what a container runs unless it names a command of its own. */
const IMAGE_COMMAND = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))![1]!) as string[];
const LAUNCHER = IMAGE_COMMAND.at(-1);
const COMPOSE_SERVICES = (parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[] }> }).services;

const kubectlInstalled = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`expected a ${kind} named ${name}, found none`);
  return found;
}
const podOf = (deployment: K8sObject) => (deployment['spec'] as { template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } }).template;
const deploymentsOf = (objects: readonly K8sObject[]) => objects.filter((object) => object.kind === 'Deployment');
const configMapData = (objects: readonly K8sObject[], name: string) => (objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith(`${name}-`))?.['data'] ?? {}) as Record<string, string>;

/** A container's environment as the pod gets it; secrets as `<secret:name/key>`. */
function environmentOf(objects: readonly K8sObject[], container: PodSpec['containers'][number]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const data = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name)?.['data'] as Record<string, string> | undefined;
    if (!data) throw new Error(`${container.name}: envFrom names ConfigMap ${source.configMapRef?.name ?? JSON.stringify(source)}, which the overlay does not make`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
    if (configMapKeyRef) {
      const data = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === configMapKeyRef.name)?.['data'] as Record<string, string> | undefined;
      if (data?.[configMapKeyRef.key] === undefined) throw new Error(`${container.name}: ${variable.name} reads ${configMapKeyRef.name}/${configMapKeyRef.key}, which does not exist`);
      env[variable.name] = data[configMapKeyRef.key]!;
    } else if (secretKeyRef) env[variable.name] = `<secret:${secretKeyRef.name}/${secretKeyRef.key}>`;
    else env[variable.name] = variable.value ?? '';
  }
  return env;
}

/** Names the files read from the environment (`env['X']`, `process.env['X']`), plus the shared logger's LOG_LEVEL. */
function envNamesReadBy(...sourceFiles: string[]): Set<string> {
  const names = sourceFiles.flatMap((file) => [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/env\[['"]([A-Z0-9_]+)['"]\]/g)].map((match) => match[1]!));
  return new Set([...names, 'LOG_LEVEL']);
}

describe.each(Object.keys(OVERLAYS) as Overlay[])('deploy/k8s, %s overlay', (overlay) => {
  const objects = built[overlay];

  it.skipIf(!kubectlInstalled)('builds the same objects as kubectl kustomize', () => {
    const output = spawnSync('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', overlayDir(overlay)], { encoding: 'utf8' });
    expect(output.stderr).toBe('');
    const theirs = parseAllDocuments(output.stdout).map((document) => document.toJS() as K8sObject);
    const byKey = (list: readonly K8sObject[]) => Object.fromEntries(list.map((object) => [`${object.kind}/${object.metadata.name}`, object]));
    expect(byKey(JSON.parse(JSON.stringify(objects)) as K8sObject[])).toEqual(byKey(theirs));
  });

  it('every object is valid against the Kubernetes schemas (kubernetes-models), in the overlay namespace, and no Secret is stored', () => {
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${object.apiVersion} ${object.kind}: no model listed here`).toBeDefined();
      expect(() => new Model!(object as never).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
      expect(object.metadata.namespace).toBe(OVERLAYS[overlay]);
    }
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('the router and each subgraph have a Deployment, a Service, a PodDisruptionBudget and a HorizontalPodAutoscaler that match its pods', () => {
    for (const name of SCALED) {
      const pod = podOf(find(objects, 'Deployment', name));
      const selects = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => pod.metadata.labels[key] === value);
      const service = find(objects, 'Service', name)['spec'] as { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
      expect(selects(service.selector), `Service ${name} selects its pods`).toBe(true);
      const pdb = find(objects, 'PodDisruptionBudget', name)['spec'] as { selector: { matchLabels: Record<string, string> } };
      expect(selects(pdb.selector.matchLabels), `PodDisruptionBudget ${name} selects its pods`).toBe(true);
      const hpa = find(objects, 'HorizontalPodAutoscaler', name)['spec'] as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect(hpa.minReplicas).toBeLessThanOrEqual(hpa.maxReplicas);
      if (overlay === 'production') expect(hpa.minReplicas, `${name}: at least two replicas, so one can die`).toBeGreaterThanOrEqual(2);
    }
  });

  it('every Deployment: probes on the paths the services serve, the port the service listens on, requests and limits', () => {
    const server = readFileSync(join(REPO_ROOT, 'packages/runtime/src/http-server.ts'), 'utf8');
    for (const path of ['/health', '/ready']) expect(server, `the services serve ${path}`).toContain(`app.get('${path}'`);
    for (const deployment of deploymentsOf(objects)) {
      const name = deployment.metadata.name;
      const [container, ...others] = podOf(deployment).spec.containers;
      expect(others, `${name}: one container`).toEqual([]);
      const env = environmentOf(objects, container!);
      const listens = Number(env[PORT_VARIABLE[name]!]);
      const http = container!.ports?.find((port) => port.name === 'http');
      expect(http?.containerPort, `${name} listens on ${PORT_VARIABLE[name]}`).toBe(listens);
      expect(container!.readinessProbe?.httpGet, `${name} readiness`).toEqual({ path: '/ready', port: 'http' });
      expect(container!.livenessProbe?.httpGet, `${name} liveness`).toEqual({ path: '/health', port: 'http' });
      if (container!.startupProbe) expect(container!.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
      for (const kind of ['requests', 'limits'] as const) {
        expect(Object.keys(container!.resources?.[kind] ?? {}).sort(), `${name} resources.${kind}`).toEqual(['cpu', 'memory']);
      }
      const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === name)?.['spec'] as { ports: { port: number; targetPort: string }[] } | undefined;
      expect(service?.ports, `Service ${name}`).toEqual([expect.objectContaining({ port: listens, targetPort: 'http' })]);
    }
  });

  it('the router calls each subgraph at its Service, and Prometheus scrapes every service on the port its /metrics is served on', () => {
    const routerEnv = environmentOf(objects, podOf(find(objects, 'Deployment', 'router')).spec.containers[0]!);
    for (const subgraph of SUBGRAPH_NAMES) {
      const port = (find(objects, 'Service', subgraph)['spec'] as { ports: { port: number }[] }).ports[0]!.port;
      expect(routerEnv[`${subgraph.toUpperCase()}_URL`]).toBe(`http://${subgraph}:${port}/graphql`);
    }
    for (const name of SCALED) {
      const pod = podOf(find(objects, 'Deployment', name));
      const env = environmentOf(objects, pod.spec.containers[0]!);
      // The router serves /metrics on ROUTER_METRICS_PORT alone; a subgraph on its one port.
      const metricsPort = Number(name === 'router' ? env['ROUTER_METRICS_PORT'] : env[PORT_VARIABLE[name]!]);
      expect(pod.metadata.annotations, name).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort), 'prometheus.io/path': '/metrics' });
      expect(pod.spec.containers[0]!.ports?.map((port) => port.containerPort), name).toContain(metricsPort);
    }
  });

  it('only environment variables the configuration reads, which it accepts in production with the secrets given', () => {
    // The launcher's and the router's schemas, and DATABASE_URL, which the database package reads.
    const launcherNames = new Set([...LAUNCHER_ENV_NAMES, ...ROUTER_ENV_NAMES, ...envNamesReadBy('packages/database/src/config.ts')]);
    for (const deployment of deploymentsOf(objects)) {
      const container = podOf(deployment).spec.containers[0]!;
      const env = environmentOf(objects, container);
      const script = container.command?.[0] === 'node' ? container.command.slice(1).find((argument) => !argument.startsWith('-')) : undefined;
      const standalone = script === LAUNCHER ? undefined : script;
      const known = standalone ? envNamesReadBy(standalone.replace(/dist\/(.*)\.js$/, 'src/$1.ts')) : launcherNames;
      // NODE_OPTIONS is read by Node itself (an operator may add it; V8's heap sizing comes with each container's command).
      expect(Object.keys(env).filter((name) => !known.has(name) && name !== 'NODE_OPTIONS'), `${deployment.metadata.name}: variables nothing reads`).toEqual([]);
      if (standalone) continue;
      // What the pod would start with: each secret a value of the right shape.
      const values = Object.fromEntries(
        Object.entries(env).map(([name, value]) => [name, value.startsWith('<secret:shop-database/') ? 'postgres://shop:password@postgresql.shop-data.svc:5432/shop' : value.startsWith('<secret:') ? 'x'.repeat(40) : value]),
      );
      expect(() => launcherConfigFromEnv(values), `${deployment.metadata.name}'s settings`).not.toThrow();
    }
  });

  it('each container runs the command its docker-compose.yml service runs (V8\'s heap sizing per service)', () => {
    for (const deployment of deploymentsOf(objects)) {
      const name = deployment.metadata.name;
      const service = COMPOSE_SERVICES[name];
      expect(service, `${name}: a docker-compose.yml service of that name`).toBeDefined();
      expect(podOf(deployment).spec.containers[0]!.command ?? IMAGE_COMMAND, name).toEqual(service!.command ?? IMAGE_COMMAND);
    }
  });

  it('secrets are references to the documented Secrets, never values', () => {
    for (const deployment of deploymentsOf(objects)) {
      for (const variable of podOf(deployment).spec.containers.flatMap((container) => container.env ?? [])) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) expect((SECRETS as Record<string, string[]>)[ref.name], `${deployment.metadata.name}: ${variable.name} from ${ref.name}/${ref.key}`).toContain(ref.key);
        if (/SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(variable.name)) expect(ref, `${deployment.metadata.name}: ${variable.name} must come from a Secret`).toBeDefined();
      }
    }
    for (const [key, value] of Object.entries(configMapData(objects, 'shop-settings'))) {
      expect(/SECRET|PASSWORD|TOKEN/.test(key) || /:\/\/[^/]*:[^/]*@/.test(value), `shop-settings ${key} holds no secret`).toBe(false);
    }
  });

  it('the supergraph ConfigMap is the committed schema/supergraph.graphql, mounted where the router reads it', () => {
    const router = podOf(find(objects, 'Deployment', 'router')).spec;
    const volume = router.volumes?.find((candidate) => candidate.name === 'supergraph');
    const configMap = find(objects, 'ConfigMap', volume!.configMap!.name);
    expect((configMap['data'] as Record<string, string>)['supergraph.graphql']).toBe(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    // The image is WORKDIR /app with the repository's layout (Dockerfile).
    expect(router.containers[0]!.volumeMounts).toContainEqual(expect.objectContaining({ name: 'supergraph', mountPath: `/app/${relative(REPO_ROOT, SUPERGRAPH_PATH)}`, subPath: 'supergraph.graphql' }));
  });

  it('the NetworkPolicies admit exactly the intended paths', () => {
    const namespace = OVERLAYS[overlay];
    const shopPods: Peer[] = deploymentsOf(objects).map((deployment) => {
      const pod = podOf(deployment);
      return { name: deployment.metadata.name, namespace, labels: pod.metadata.labels, ports: pod.spec.containers.flatMap((container) => container.ports?.map((port) => port.containerPort) ?? []) };
    });
    const peers = [...shopPods, ...OUTSIDE];
    const policies = [...objects, ...dataPolicies].filter((object) => object.kind === 'NetworkPolicy') as unknown as Policy[];
    const open: string[] = [];
    for (const source of peers) {
      for (const destination of peers) {
        // What reaches this deployment's pods and the data namespace, and where its own pods may go; the
        // rest (the internet to DNS, Postgres to the internet) is no business of these policies.
        if (!ours(destination, namespace) && source.namespace !== namespace) continue;
        for (const port of destination.ports) if (source !== destination && admits(policies, source, destination, port)) open.push(`${source.name} → ${destination.name}:${port}`);
      }
    }
    const intended = [
      // The public endpoint: anyone outside the namespace (the namespace's own pods may not call it).
      ...OUTSIDE.map((peer) => `${peer.name} → router:4000`),
      'prometheus → router:9464',
      ...['products:4001', 'orders:4002', 'payments:4003'].flatMap((subgraph) => [`router → ${subgraph}`, `prometheus → ${subgraph}`]),
      ...SUBGRAPH_NAMES.flatMap((subgraph) => [`${subgraph} → postgresql:5432`, `${subgraph} → nats:4222`]),
      'router → nats:4222',
      'prometheus → nats:8222',
      ...shopPods.map((pod) => `${pod.name} → dns:53`),
      ...(overlay === 'development' ? ['payments → payment-provider:4010'] : ['payments → card-provider:443']),
    ];
    expect(open.sort()).toEqual(intended.sort());
  });
});

// ---- NetworkPolicy semantics (networking.k8s.io/v1), for the peers below -------

interface Peer {
  name: string;
  /** A pod's namespace; none for an address outside the cluster. */
  namespace?: string;
  labels?: Record<string, string>;
  /** An address outside the cluster (ipBlock peers); pods are given one in the cluster's 10.0.0.0/8. */
  address?: string;
  ports: number[];
}

/** Everyone else: the internet, an ingress controller, Prometheus, a pod of another application, DNS, the data namespace, the card provider. */
const OUTSIDE: Peer[] = [
  { name: 'internet', address: '198.51.100.7', ports: [] },
  { name: 'ingress', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, ports: [] },
  { name: 'prometheus', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, ports: [] },
  { name: 'stranger', namespace: 'default', labels: { app: 'something-else' }, ports: [] },
  { name: 'dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [53] },
  { name: 'postgresql', namespace: 'shop-data', labels: { 'app.kubernetes.io/name': 'postgresql' }, ports: [5432] },
  { name: 'nats', namespace: 'shop-data', labels: { 'app.kubernetes.io/name': 'nats' }, ports: [4222, 6222, 8222] },
  { name: 'card-provider', address: '203.0.113.10', ports: [443] },
];
const ours = (peer: Peer, namespace: string) => peer.namespace === namespace || peer.namespace === 'shop-data';

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  ports?: { protocol?: string; port: number }[];
  from?: PolicyPeer[];
  to?: PolicyPeer[];
}
interface Policy {
  metadata: { namespace: string };
  spec: { podSelector: Selector; policyTypes: ('Ingress' | 'Egress')[]; ingress?: Rule[]; egress?: Rule[] };
}

function matches(selector: Selector, labels: Record<string, string> = {}): boolean {
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return values.includes(labels[key] ?? '');
        case 'NotIn':
          return !values.includes(labels[key] ?? '');
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
      }
    })
  );
}

function inCidr(address: string, cidr: string): boolean {
  const toNumber = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(address) / size) === Math.floor(toNumber(base!) / size);
}

/** Whether a rule's peer list names `peer`, for a policy in `namespace`. */
function names(peers: PolicyPeer[] | undefined, peer: Peer, namespace: string): boolean {
  if (peers === undefined) return true;
  return peers.some(({ podSelector, namespaceSelector, ipBlock }) => {
    if (ipBlock) {
      const address = peer.address ?? '10.1.2.3'; // a pod's address
      return inCidr(address, ipBlock.cidr) && !(ipBlock.except ?? []).some((except) => inCidr(address, except));
    }
    if (!peer.namespace) return false;
    const namespaceMatches = namespaceSelector ? matches(namespaceSelector, { 'kubernetes.io/metadata.name': peer.namespace }) : peer.namespace === namespace;
    return namespaceMatches && matches(podSelector ?? {}, peer.labels);
  });
}

/** Whether policies admit a connection from `source` to `destination`'s `port`: the source's egress and the destination's ingress. */
function admits(policies: readonly Policy[], source: Peer, destination: Peer, port: number): boolean {
  const side = (pod: Peer, type: 'Ingress' | 'Egress', other: Peer) => {
    const selecting = policies.filter((policy) => pod.namespace === policy.metadata.namespace && policy.spec.policyTypes.includes(type) && matches(policy.spec.podSelector, pod.labels));
    if (selecting.length === 0) return true; // no policy selects it: all allowed
    return selecting.some((policy) =>
      (type === 'Ingress' ? policy.spec.ingress : policy.spec.egress)?.some(
        (rule) => names(type === 'Ingress' ? rule.from : rule.to, other, policy.metadata.namespace) && (rule.ports === undefined || rule.ports.some((allowed) => allowed.port === port)),
      ),
    );
  };
  return side(source, 'Egress', destination) && side(destination, 'Ingress', source);
}

describe('deploy/k8s/data-policies', () => {
  it('are valid NetworkPolicies in the data namespace', () => {
    for (const object of dataPolicies) {
      expect(() => new NetworkPolicy(object as never).validate()).not.toThrow();
      expect(object.metadata.namespace).toBe('shop-data');
    }
  });
});
