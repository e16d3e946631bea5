/**
 * One run of doctor's checks against a live cluster: what it asks the API server, as whom, and in
 * which order. What each answer means is verdicts.ts's.
 */
import { generateKeyPairSync } from 'node:crypto';
import type {
  V1CertificateSigningRequest, V1CertificateSigningRequestList, V1ConfigMap, V1Secret, V1SubjectAccessReview,
  V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import type { TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { filesOf } from '../../cert-issuer/src/secret.ts';
import type { ClusterConfig } from '../config/cluster-config.ts';
import { assetsPodName, ISSUER_POLICY_RESOURCES, issuerPolicyName, type IssuerPolicyResource, issuerUser, podProxyPath } from '../constructs/names.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import { encodeCsr } from '../contract/csr-encoding.ts';
import { CSR_USAGES, EVENT_REPORTING_CONTROLLER, ISSUER_SERVICE_ACCOUNT_NAME, KUBE_APISERVER_CLIENT_SIGNER } from '../contract/issuer-api.ts';
import { expectedAccess } from './access.ts';
import { type Answer, KubeApi, statusMessage } from './api.ts';
import { accessVerdict, type Attempt, FOREIGN_COMMON_NAME, type Fetched, indexVerdict, policyVerdict, probeVerdict, reapplyHint, secretVerdict, tlsVerdict, type Verdict } from './verdicts.ts';

const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/**
 * Every check, read as `api`'s user (the caller's kubeconfig); the handshake checks and the index
 * fetches go to `endpoint` with each Secret's own files instead, as the issuer and Flux would.
 */
export async function runDoctor(cluster: ClusterConfig, api: KubeApi, endpoint: ApiEndpoint, now = new Date()): Promise<Verdict[]> {
  const { secretName, commonName } = cluster.certificate;
  const { namespace } = cluster.assets;
  const verdicts: Verdict[] = [];
  // The signer's CA is the cluster CA that every namespace's kube-root-ca.crt publishes.
  const rootCA = await api.get<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps/kube-root-ca.crt`);
  const signerCaPem = rootCA.data?.['ca.crt'] ?? '';

  const secrets = new Map<string, TlsFiles | undefined>();
  for (const secretNamespace of new Set(cluster.repositories.map((repo) => repo.namespace))) {
    const files = filesOf(await api.find<V1Secret>(`/api/v1/namespaces/${secretNamespace}/secrets/${secretName}`));
    secrets.set(secretNamespace, files);
    verdicts.push(secretVerdict(secretNamespace, secretName, files, { commonName, organization: cluster.certificate.organization, signerCaPem, caCrt: files?.caCrt ?? '' }, now));
  }

  for (const [secretNamespace, files] of secrets) {
    if (files === undefined) continue;
    const anonymous = KubeApi.at(endpoint, { ca: files.caCrt });
    verdicts.push(tlsVerdict(`${secretNamespace}/${secretName}`, endpoint, await fetched(anonymous.send('GET', '/version')), cluster.file));
  }

  for (const access of expectedAccess(cluster)) {
    const review = await api.create<V1SubjectAccessReview>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: access.user, resourceAttributes: access.attributes },
    });
    verdicts.push(accessVerdict(access, review.status?.allowed === true, reapplyHint(cluster.name)));
  }

  verdicts.push(...(await admissionPolicyVerdicts(cluster, api)));

  for (const repo of cluster.repositories) {
    const files = secrets.get(repo.namespace);
    const path = `${podProxyPath(namespace, assetsPodName(cluster.assets.name), repo.name)}/index.yaml`;
    const reader = files && KubeApi.at(endpoint, { ca: files.caCrt, cert: files.tlsCrt, key: files.tlsKey });
    verdicts.push(indexVerdict(endpoint.url(path), `${repo.namespace}/${secretName}`, reader && (await fetched(reader.send('GET', path)))));
  }
  return verdicts;
}

/** A thief's write, made as the issuer with dryRun=All (nothing is stored, but admission runs in full). */
interface Probe extends Attempt {
  readonly resource: IssuerPolicyResource;
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

/**
 * Whether the API server holds the issuer's admission policies and applies them: each policy and
 * its binding exist, and a server-side dry run of a thief's write, as the issuer's ServiceAccount,
 * is refused by that policy. Only the dry runs prove anything; the first says what to fix.
 */
async function admissionPolicyVerdicts(cluster: ClusterConfig, api: KubeApi): Promise<Verdict[]> {
  if (!cluster.issuer.admissionPolicy) {
    return [{ check: 'admission policies', ok: true, detail: `off (issuer.admissionPolicy: false): ${WITHOUT_POLICIES}` }];
  }
  const { namespace } = cluster.assets;
  const issuer = issuerUser(namespace);
  const fix = `${reapplyHint(cluster.name)}; it needs Kubernetes 1.30 or later`;
  const policyName = (resource: IssuerPolicyResource) => issuerPolicyName(namespace, ISSUER_SERVICE_ACCOUNT_NAME, resource);
  const verdicts: Verdict[] = [];
  for (const resource of ISSUER_POLICY_RESOURCES) {
    const name = policyName(resource);
    const [policy, binding] = await Promise.all([
      api.find<V1ValidatingAdmissionPolicy>(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`),
      api.find<V1ValidatingAdmissionPolicyBinding>(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${name}`),
    ]);
    verdicts.push(policyVerdict(name, policy, binding, fix));
  }
  for (const probe of await thiefProbes(cluster, api, issuer)) {
    const answer = await fetched(api.send(probe.method, `${probe.path}?dryRun=All`, { body: probe.body, as: issuer }));
    const result = 'error' in answer ? { status: 0, message: answer.error } : { status: answer.status, message: statusMessage(answer.body) };
    verdicts.push(probeVerdict(probe, result, policyName(probe.resource), issuer, fix));
  }
  return verdicts;
}

/** What a stolen issuer token could do without the policies, as doctor says when they are off. */
const WITHOUT_POLICIES = 'a stolen issuer token can have any identity but system:masters signed, mint a token of any ServiceAccount in a repository namespace, point the HelmRepositories at another server, and write Events about any object of its namespace';

/**
 * One of a thief's writes for each rule that RBAC cannot hold: a CSR for a foreign identity, a
 * ServiceAccount token Secret, a HelmRepository suspended, an Event about an object not the
 * issuer's, and the deletion of another requester's CSR where one exists to try it on.
 */
async function thiefProbes(cluster: ClusterConfig, api: KubeApi, issuer: string): Promise<Probe[]> {
  const [repo] = cluster.repositories;
  const { namespace } = cluster.assets;
  const csrs = await api.get<V1CertificateSigningRequestList>(CSR_PATH);
  const foreign = csrs.items.find((csr) => csr.spec.username !== issuer);
  return [
    {
      resource: 'certificatesigningrequests', what: `a CSR for CN=${FOREIGN_COMMON_NAME}`, admitted: 'a stolen issuer token can have any identity signed',
      method: 'POST', path: CSR_PATH, body: foreignCsr(),
    },
    {
      resource: 'secrets', what: `a service-account-token Secret in ${repo!.namespace}`, admitted: `a stolen issuer token can mint a token of any ServiceAccount in ${repo!.namespace}`,
      method: 'POST', path: `/api/v1/namespaces/${repo!.namespace}/secrets`, body: serviceAccountTokenSecret(),
    },
    {
      resource: 'helmrepositories', what: `suspending HelmRepository ${repo!.namespace}/${repo!.name}`, admitted: 'a stolen issuer token can stop or repoint a HelmRepository',
      method: 'PATCH', path: `/apis/source.toolkit.fluxcd.io/v1/namespaces/${repo!.namespace}/helmrepositories/${repo!.name}`, body: { spec: { suspend: true } },
    },
    {
      resource: 'events', what: `an Event about Secret ${namespace}/${cluster.certificate.secretName}`, admitted: `a stolen issuer token can write Events about any object in ${namespace}`,
      method: 'POST', path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, body: foreignEvent(namespace, cluster.certificate.secretName),
    },
    ...(foreign === undefined ? [] : [{
      resource: 'certificatesigningrequests' as const, what: `deleting CSR ${foreign.metadata!.name} of ${foreign.spec.username}`, admitted: "a stolen issuer token can delete other requesters' CSRs",
      method: 'DELETE' as const, path: `${CSR_PATH}/${foreign.metadata!.name}`,
    }]),
  ];
}

/** A CSR in the issuer's encoding for a subject it must never get: one that reads every Secret. */
function foreignCsr(): V1CertificateSigningRequest {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const pem = encodeCsr({ commonName: FOREIGN_COMMON_NAME, organization: undefined }, { privateKeyPem: key.privateKey, publicKeyPem: key.publicKey }, 2048);
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'flux-assets-bootstrap-doctor-' },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: KUBE_APISERVER_CLIENT_SIGNER, usages: [...CSR_USAGES], expirationSeconds: 600 },
  };
}

/** An Event from the issuer's controller about its own Secret, which it may never report on. */
function foreignEvent(namespace: string, secretName: string): object {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { generateName: 'flux-assets-bootstrap-doctor-', namespace },
    eventTime: new Date().toISOString().replace('Z', '000Z'),
    reportingController: EVENT_REPORTING_CONTROLLER,
    reportingInstance: 'flux-assets-bootstrap-doctor',
    action: 'Probe',
    reason: 'Probe',
    type: 'Normal',
    regarding: { apiVersion: 'v1', kind: 'Secret', namespace, name: secretName },
  };
}

/** A Secret Kubernetes would fill with a token of the `default` ServiceAccount. */
function serviceAccountTokenSecret(): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { generateName: 'flux-assets-bootstrap-doctor-', annotations: { 'kubernetes.io/service-account.name': 'default' } },
    type: 'kubernetes.io/service-account-token',
  };
}

/** The answer, or why none came. */
function fetched(sent: Promise<Answer>): Promise<Fetched> {
  return sent.catch((error: Error) => ({ error: error.message }));
}
