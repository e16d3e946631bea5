/**
 * `flux-assets-bootstrap doctor --cluster <name>`: checks a live cluster against its config and
 * prints one verdict per check. Exits 1 when any check fails, with what to do about it.
 *
 * It reads with the caller's kubeconfig (an admin's, usually) and fetches every repository index
 * exactly the way Flux does: through the pod proxy, with the Secret in the repository's namespace.
 */
import { generateKeyPairSync } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import { connect } from 'node:tls';
import { AdmissionregistrationV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig, type V1ResourceAttributes } from '@kubernetes/client-node';
import { encodeCsr } from '../contract/csr-encoding.ts';
import { csrUsages } from '../../cert-issuer/src/csr.ts';
import { DEFAULT_SIGNER_NAME, ISSUER_SERVICE_ACCOUNT_NAME } from '../contract/issuer-contract.ts';
import { evaluate, type Expected, type TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { filesOf } from '../../cert-issuer/src/secret.ts';
import { ApiEndpoint } from '../contract/api-endpoint.ts';
import { type ClusterConfig, loadClusterConfig } from '../config/cluster-config.ts';
import { type CommandLine, runCommand, UsageError } from '../cli/command-line.ts';
import { csrAdmissionPolicyName } from '../constructs/names.ts';

/** The outcome of one check; `detail` says what was found, or what to do when it failed. */
export interface Verdict {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

interface Access {
  readonly who: string;
  readonly user: string;
  readonly attributes: V1ResourceAttributes;
  readonly allowed: boolean;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** The identity the doctor's probe asks for: whoever holds it may read every Secret. */
const FOREIGN_COMMON_NAME = 'system:kube-controller-manager';

function issuerUser(cluster: ClusterConfig): string {
  return `system:serviceaccount:${cluster.assets.namespace}:${ISSUER_SERVICE_ACCOUNT_NAME}`;
}

/** The access that must hold, and must not, for the reader and the issuer. */
export function expectedAccess(cluster: ClusterConfig): Access[] {
  const { assets, certificate } = cluster;
  const reader = certificate.commonName;
  const issuer = issuerUser(cluster);
  const namespaces = [...new Set(cluster.repositories.map((repo) => repo.namespace))];
  return [
    { who: 'reader', user: reader, allowed: true, attributes: { verb: 'get', resource: 'pods', subresource: 'proxy', name: `${assets.name}-0`, namespace: assets.namespace } },
    { who: 'reader', user: reader, allowed: false, attributes: { verb: 'get', resource: 'pods', namespace: assets.namespace } },
    { who: 'reader', user: reader, allowed: false, attributes: { verb: 'get', resource: 'secrets', name: certificate.secretName, namespace: assets.namespace } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'update', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: 'approval' } },
    { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'approve', group: 'certificates.k8s.io', resource: 'signers', name: DEFAULT_SIGNER_NAME } },
    ...namespaces.flatMap((namespace): Access[] => [
      { who: 'issuer', user: issuer, allowed: true, attributes: { verb: 'update', resource: 'secrets', name: certificate.secretName, namespace } },
      { who: 'issuer', user: issuer, allowed: false, attributes: { verb: 'get', resource: 'secrets', name: 'some-other-secret', namespace } },
    ]),
  ];
}

/** The verdict on the Secret in one namespace, from its files, the expected identity and the time. */
export function secretVerdict(namespace: string, name: string, files: TlsFiles | undefined, expected: Expected, now: Date): Verdict {
  const check = `Secret ${namespace}/${name}`;
  const rerun = 're-run the issuer: kubectl -n <issuer namespace> create job --from=cronjob/cert-issuer-renewal cert-issuer-now';
  if (files === undefined) return { check, ok: false, detail: `missing or incomplete (needs tls.crt, tls.key, ca.crt); ${rerun}` };
  const verdict = evaluate(files, expected, now);
  return verdict.good
    ? { check, ok: true, detail: `key matches; CN ${expected.commonName}; notAfter ${verdict.facts.notAfter.toISOString()}; renews after ${verdict.renewAfter.toISOString()}` }
    : { check, ok: false, detail: `${verdict.reason}; ${rerun}` };
}

export async function runDoctor(cluster: ClusterConfig, kubeConfig: KubeConfig, endpoint: ApiEndpoint, now = new Date()): Promise<Verdict[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  const { secretName, commonName } = cluster.certificate;
  const verdicts: Verdict[] = [];
  // The signer's CA is the cluster CA that every namespace's kube-root-ca.crt publishes.
  const rootCA = await core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: cluster.assets.namespace });
  const signerCaPem = rootCA.data?.['ca.crt'] ?? '';

  const secrets = new Map<string, TlsFiles | undefined>();
  for (const namespace of new Set(cluster.repositories.map((repo) => repo.namespace))) {
    let files: TlsFiles | undefined;
    try {
      files = filesOf(await core.readNamespacedSecret({ name: secretName, namespace }));
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
    secrets.set(namespace, files);
    verdicts.push(secretVerdict(namespace, secretName, files, { commonName, organization: undefined, signerCaPem, caCrt: files?.caCrt ?? '' }, now));
  }

  for (const [namespace, files] of secrets) {
    if (files === undefined) continue;
    const problem = await tlsProblem(endpoint, files.caCrt);
    verdicts.push({
      check: `ca.crt of ${namespace}/${secretName} verifies ${endpoint}`,
      ok: problem === undefined,
      detail: problem === undefined ? 'TLS handshake verified' : `${problem}; set apiCAFile in ${cluster.file} to the CA that signs ${endpoint}'s serving certificate`,
    });
  }

  for (const access of expectedAccess(cluster)) {
    const { attributes } = access;
    const review = await authorization.createSubjectAccessReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: access.user, resourceAttributes: attributes } },
    });
    const allowed = review.status?.allowed === true;
    const what = `${attributes.verb} ${[attributes.group, attributes.resource].filter(Boolean).join('/')}${attributes.subresource ? `/${attributes.subresource}` : ''}${attributes.name ? ` ${attributes.name}` : ''}${attributes.namespace ? ` in ${attributes.namespace}` : ''}`;
    verdicts.push({
      check: `RBAC: ${access.who} ${access.allowed ? 'may' : 'may not'} ${what}`,
      ok: allowed === access.allowed,
      detail: allowed === access.allowed ? 'as expected' : `${access.user} ${allowed ? 'is allowed' : 'is denied'}; re-apply dist/${cluster.name} (kubectl apply --server-side -k dist/${cluster.name})`,
    });
  }

  verdicts.push(...(await admissionPolicyVerdicts(cluster, kubeConfig)));

  for (const repo of cluster.repositories) {
    const files = secrets.get(repo.namespace);
    const url = endpoint.url(`/api/v1/namespaces/${cluster.assets.namespace}/pods/${cluster.assets.name}-0/proxy/repos/${repo.name}/index.yaml`);
    const check = `mTLS GET ${url} with ${repo.namespace}/${secretName}`;
    if (files === undefined) {
      verdicts.push({ check, ok: false, detail: 'skipped: no Secret to authenticate with (see above)' });
      continue;
    }
    const result = await fetchIndex(url, files);
    verdicts.push({ check, ok: result.ok, detail: result.detail });
  }
  return verdicts;
}

/**
 * Whether the API server holds the issuer's CSR policy and applies it: the policy and its binding
 * exist, and a server-side dry-run create of a CSR for a foreign subject, as the issuer's
 * ServiceAccount, is refused. Only the second proves anything; the first says what to fix.
 */
async function admissionPolicyVerdicts(cluster: ClusterConfig, kubeConfig: KubeConfig): Promise<Verdict[]> {
  if (!cluster.issuer.admissionPolicy) {
    return [{ check: 'CSR admission policy', ok: true, detail: 'off (issuer.admissionPolicy: false): a stolen issuer token can have any identity signed but system:masters' }];
  }
  const name = csrAdmissionPolicyName(cluster.assets.namespace, ISSUER_SERVICE_ACCOUNT_NAME);
  const fix = `re-apply dist/${cluster.name} (kubectl apply --server-side -k dist/${cluster.name}); it needs Kubernetes 1.30 or later`;
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const orMissing = <T>(read: Promise<T>) =>
    read.catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
  const [policy, binding] = await Promise.all([
    orMissing(api.readValidatingAdmissionPolicy({ name })),
    orMissing(api.readValidatingAdmissionPolicyBinding({ name })),
  ]);
  const bound = binding?.spec?.policyName === name && binding.spec.validationActions?.includes('Deny') === true;
  const installed: Verdict = {
    check: `CSR admission policy ${name}`,
    ok: policy !== undefined && bound,
    detail: policy === undefined ? `missing; ${fix}` : !bound ? `its binding is missing or does not deny; ${fix}` : 'policy and binding (Deny) present',
  };

  const issuer = issuerUser(cluster);
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const pem = encodeCsr({ commonName: FOREIGN_COMMON_NAME, organization: undefined }, { privateKeyPem: key.privateKey, publicKeyPem: key.publicKey }, 2048);
  const probe = await dryRunCreateCsr(kubeConfig, issuer, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'flux-assets-bootstrap-doctor-' },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: csrUsages, expirationSeconds: 600 },
  });
  return [installed, probeVerdict(probe, name, issuer, fix)];
}

/** The verdict on the dry-run CSR for a foreign subject: only a refusal by the named policy passes. */
export function probeVerdict(probe: { status: number; message: string }, policyName: string, issuer: string, fix: string): Verdict {
  const check = `CSR admission policy refuses CN=${FOREIGN_COMMON_NAME} from ${issuer} (server-side dry run)`;
  if (probe.status === 422 && probe.message.includes(`ValidatingAdmissionPolicy '${policyName}'`)) return { check, ok: true, detail: probe.message };
  if (probe.status === 201) return { check, ok: false, detail: `admitted: a stolen issuer token can have any identity signed; ${fix}` };
  if (probe.status === 403 && /impersonate/.test(probe.message)) return { check, ok: false, detail: `cannot tell: your user may not impersonate ${issuer} (${probe.message})` };
  return { check, ok: false, detail: `refused by something other than the policy (HTTP ${probe.status}: ${probe.message}); ${fix}` };
}

/** A dry-run CSR create as `user` (impersonated): nothing is stored, but admission runs in full. */
async function dryRunCreateCsr(kubeConfig: KubeConfig, user: string, csr: unknown): Promise<{ status: number; message: string }> {
  const url = new URL('/apis/certificates.k8s.io/v1/certificatesigningrequests?dryRun=All', kubeConfig.getCurrentCluster()?.server);
  const body = JSON.stringify(csr);
  const options: RequestOptions = {
    method: 'POST',
    timeout: REQUEST_TIMEOUT_MS,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'impersonate-user': user },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve) => {
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => {
        let message = text.slice(0, 300);
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not a Status: keep the text
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, message: error.message }));
    req.end(body);
  });
}

/** Why a TLS handshake with `endpoint` does not verify against `caPem`, or undefined when it does. */
function tlsProblem(endpoint: ApiEndpoint, caPem: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.serviceHost, port: endpoint.port, ca: caPem, servername: servernameOf(endpoint), timeout: REQUEST_TIMEOUT_MS });
    socket.once('secureConnect', () => { socket.end(); resolve(undefined); });
    socket.once('timeout', () => { socket.destroy(); resolve('timed out'); });
    socket.once('error', (error) => resolve(error.message));
  });
}

function fetchIndex(url: string, files: TlsFiles): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = request(url, { cert: files.tlsCrt, key: files.tlsKey, ca: files.caCrt, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 1 << 20) body += chunk; });
      res.on('end', () => {
        if (res.statusCode === 200 && /^apiVersion:/m.test(body)) resolve({ ok: true, detail: `200, ${body.length} bytes of index` });
        else if (res.statusCode === 401) resolve({ ok: false, detail: '401: the API server does not accept the certificate (expired, or not signed by its client CA); re-run the issuer' });
        else if (res.statusCode === 403) resolve({ ok: false, detail: `403: the certificate's user may not proxy to the pod; re-apply the reader Role and RoleBinding` });
        else resolve({ ok: false, detail: `${res.statusCode}: ${body.slice(0, 200).replaceAll('\n', ' ')}; is the assets pod running and serving this repo?` });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ ok: false, detail: `${error.message}; is the endpoint reachable from here? (--endpoint overrides it)` }));
    req.end();
  });
}

function servernameOf(endpoint: ApiEndpoint): string | undefined {
  return /^[\d.]+$|^\[/.test(endpoint.host) ? undefined : endpoint.host;
}

export const DOCTOR: CommandLine<{
  cluster: { type: 'string' };
  clusters: { type: 'string'; default: string };
  kubeconfig: { type: 'string' };
  endpoint: { type: 'string' };
}> = {
  name: 'doctor',
  invocation: 'flux-assets-bootstrap doctor',
  usage: `Usage: flux-assets-bootstrap doctor --cluster NAME [--clusters DIR] [--kubeconfig PATH] [--endpoint HOST:PORT]

Checks a live cluster against DIR/NAME.yaml and prints one verdict per check: the reader's and
the issuer's access, the admission policy, every Secret's certificate, and every repository index
fetched through the pod proxy the way Flux fetches it.

Options:
  --cluster NAME         the cluster to check, a DIR/NAME.yaml (required)
  --clusters DIR         folder of cluster configs (default: clusters)
  --kubeconfig PATH      kubeconfig of a user who may read Secrets and create SubjectAccessReviews
                         (default: KUBECONFIG or ~/.kube/config)
  --endpoint HOST:PORT   reach the API here instead of the config's endpoint (from a workstation)
  -h, --help             show this help
  --version              show the version

Exit codes: 0 every check passed, 1 a check failed, the cluster could not be read, or the config is
invalid (each says what to do), 2 usage error.`,
  options: { cluster: { type: 'string' }, clusters: { type: 'string', default: 'clusters' }, kubeconfig: { type: 'string' }, endpoint: { type: 'string' } },
  afterConfigError: 'nothing was checked',
  run: async (values) => {
    if (!values.cluster) throw new UsageError('--cluster NAME is required (a clusters/NAME.yaml)');
    const cluster = loadClusterConfig(`${values.clusters}/${values.cluster}.yaml`);
    let endpoint: ApiEndpoint;
    try {
      endpoint = values.endpoint ? ApiEndpoint.parse(values.endpoint) : cluster.endpoint;
    } catch (error) {
      throw new UsageError(`--endpoint ${(error as Error).message}`);
    }
    const kubeConfig = new KubeConfig();
    try {
      if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
      else kubeConfig.loadFromDefault();
    } catch (error) {
      console.error(`doctor: cannot load the kubeconfig: ${(error as Error).message.split('\n')[0]}`);
      return 1;
    }
    let verdicts: Verdict[];
    try {
      verdicts = await runDoctor(cluster, kubeConfig, endpoint);
    } catch (error) {
      const { code, body } = error as { code?: number; body?: unknown };
      const detail = typeof code === 'number' ? `HTTP ${code}: ${JSON.stringify(body).slice(0, 300)}` : (error as Error).message;
      console.error(`doctor: cannot read the cluster with this kubeconfig (${detail}); check --kubeconfig and that its user may read Secrets and create SubjectAccessReviews`);
      return 1;
    }
    for (const verdict of verdicts) console.log(`${verdict.ok ? 'ok  ' : 'FAIL'} ${verdict.check}: ${verdict.detail}`);
    const failed = verdicts.filter((verdict) => !verdict.ok).length;
    console.log(failed === 0 ? `doctor: all ${verdicts.length} checks passed` : `doctor: ${failed} of ${verdicts.length} checks failed`);
    return failed === 0 ? 0 : 1;
  },
};

/** `flux-assets-bootstrap doctor ...`: the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return runCommand(DOCTOR, argv);
}
