import { generateKeyPairSync } from 'node:crypto';
import { AdmissionregistrationV1Api, AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { csrUsages } from '../../cert-issuer/src/csr.ts';
import type { TlsFiles } from '../../cert-issuer/src/rotation.ts';
import { filesOf } from '../../cert-issuer/src/secret.ts';
import type { ClusterConfig } from '../config/cluster-config.ts';
import { assetsPodName, csrAdmissionPolicyName, issuerUser, podProxyPath } from '../constructs/names.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import { encodeCsr } from '../contract/csr-encoding.ts';
import { DEFAULT_SIGNER_NAME, ISSUER_SERVICE_ACCOUNT_NAME } from '../contract/issuer-contract.ts';
import { expectedAccess } from './access.ts';
import { dryRunCreateCsr, fetchIndex, tlsProblem } from './api.ts';
import { FOREIGN_COMMON_NAME, probeVerdict, secretVerdict, type Verdict } from './verdicts.ts';

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
    const url = endpoint.url(`${podProxyPath(cluster.assets.namespace, assetsPodName(cluster.assets.name), repo.name)}/index.yaml`);
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

  const issuer = issuerUser(cluster.assets.namespace);
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const pem = encodeCsr({ commonName: FOREIGN_COMMON_NAME, organization: undefined }, { privateKeyPem: key.privateKey, publicKeyPem: key.publicKey }, 2048);
  const probe = await dryRunCreateCsr(kubeConfig, issuer, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'flux-assets-bootstrap-doctor-' },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: DEFAULT_SIGNER_NAME, usages: csrUsages, expirationSeconds: 600 },
  });
  return [installed, probeVerdict(probe, name, issuer, fix)];
}
