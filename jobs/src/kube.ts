import { existsSync, readFileSync } from 'node:fs';
import {
  AuthenticationV1Api,
  CertificatesV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1CertificateSigningRequest,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Config, HelmRepositoryRef } from './config.ts';
import { ConfigError, ExitCode, IssuerError } from './errors.ts';
import { describe, withRetry, type RetryOptions } from './retry.ts';

const csrPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/**
 * The thin I/O shell: every API call the issuer makes, each retried on transient failures and
 * with 401/403 turned into "permission denied" (exit 3). It makes no decisions.
 */
export class Kube {
  private readonly core: CoreV1Api;
  private readonly certificates: CertificatesV1Api;
  private readonly authentication: AuthenticationV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly watcher: Watch;

  constructor(
    kubeConfig: KubeConfig,
    private readonly retry: RetryOptions,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.certificates = kubeConfig.makeApiClient(CertificatesV1Api);
    this.authentication = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kubeConfig);
  }

  /** undefined when the Secret does not exist yet. */
  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.call(`get secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }), [404]);
  }

  /** Creates the Secret, or replaces it under the resourceVersion it carries; 'conflict' when someone else wrote first. */
  async writeSecret(secret: V1Secret): Promise<'written' | 'conflict'> {
    const { namespace, name, resourceVersion } = secret.metadata as { namespace: string; name: string; resourceVersion?: string };
    const written = resourceVersion
      ? await this.call(`update secret ${namespace}/${name}`, () => this.core.replaceNamespacedSecret({ namespace, name, body: secret }), [409])
      : await this.call(`create secret ${namespace}/${name}`, () => this.core.createNamespacedSecret({ namespace, body: secret }), [409]);
    return written === undefined ? 'conflict' : 'written';
  }

  /** The user this process authenticates as, which the API records as a CSR's spec.username. */
  async whoAmI(): Promise<string> {
    const review = await this.call('create selfsubjectreview', () =>
      this.authentication.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }),
    );
    const username = review.status?.userInfo?.username;
    if (!username) throw new IssuerError(ExitCode.internal, 'SelfSubjectReview returned no username');
    return username;
  }

  async createCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest> {
    return this.call(`create csr ${csr.metadata?.name}`, () => this.certificates.createCertificateSigningRequest({ body: csr }));
  }

  async readCsr(name: string): Promise<V1CertificateSigningRequest | undefined> {
    return this.call(`get csr ${name}`, () => this.certificates.readCertificateSigningRequest({ name }), [404]);
  }

  /** undefined when the CSR changed since it was read (409), so it has to be verified again. */
  async approveCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest | undefined> {
    const name = csr.metadata!.name!;
    return this.call(`approve csr ${name}`, () => this.certificates.replaceCertificateSigningRequestApproval({ name, body: csr }), [409]);
  }

  async listCsrs(labelSelector: string): Promise<{ items: V1CertificateSigningRequest[]; resourceVersion: string }> {
    const list = await this.call('list csrs', () => this.certificates.listCertificateSigningRequest({ labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async readCsrForWatch(name: string): Promise<{ csr: V1CertificateSigningRequest | undefined; resourceVersion: string }> {
    const list = await this.call(`list csr ${name}`, () =>
      this.certificates.listCertificateSigningRequest({ fieldSelector: `metadata.name=${name}` }),
    );
    return { csr: list.items[0], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async deleteCsr(name: string): Promise<void> {
    await this.call(`delete csr ${name}`, () => this.certificates.deleteCertificateSigningRequest({ name }), [404]);
  }

  /**
   * Streams changes to one CSR after `resourceVersion`. `done` gets the reason the stream ended
   * (null when the server closed it); the returned controller stops it.
   */
  async watchCsr(
    name: string,
    resourceVersion: string,
    onChange: (type: string, csr: V1CertificateSigningRequest) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    return this.watcher.watch(csrPath, { fieldSelector: `metadata.name=${name}`, resourceVersion }, onChange, done);
  }

  /** Flux's documented way to ask for a reconcile now instead of at the next interval. */
  async requestReconcile(repo: HelmRepositoryRef, requestedAt: string): Promise<void> {
    await this.call(
      `patch helmrepository ${repo.namespace}/${repo.name}`,
      () =>
        this.custom.patchNamespacedCustomObject(
          {
            group: 'source.toolkit.fluxcd.io',
            version: 'v1',
            plural: 'helmrepositories',
            namespace: repo.namespace,
            name: repo.name,
            body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
    );
  }

  /** Runs one API call with retries; the HTTP codes in `absentOn` resolve to undefined instead of failing. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T>;
  private async call<T>(what: string, request: () => Promise<T>, absentOn: number[]): Promise<T | undefined>;
  private async call<T>(what: string, request: () => Promise<T>, absentOn: number[] = []): Promise<T | undefined> {
    try {
      return await withRetry(what, request, this.retry);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && absentOn.includes(code)) return undefined;
      if (code === 401 || code === 403) throw new IssuerError(ExitCode.permissionDenied, `permission denied: ${what}: ${describe(error)}`);
      if (error instanceof IssuerError) throw error;
      throw new IssuerError(ExitCode.internal, `${what}: ${describe(error)}`);
    }
  }
}

/** Client configuration from the ServiceAccount mount or a kubeconfig; a missing file is a config error. */
export function loadKubeConfig(config: Config): KubeConfig {
  const kubeConfig = new KubeConfig();
  const { cluster } = config;
  if (cluster.kind === 'kubeconfig') {
    try {
      kubeConfig.loadFromFile(cluster.path);
    } catch (error) {
      throw new ConfigError(`--kubeconfig: cannot load ${cluster.path}: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!kubeConfig.getCurrentCluster()) throw new ConfigError(`--kubeconfig: ${cluster.path} has no current cluster`);
    return kubeConfig;
  }
  // Not loadFromCluster(): the e2e kubelet shim mounts the ServiceAccount elsewhere.
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(`${cluster.serviceAccountDir}/${file}`)) {
      throw new ConfigError(`no ServiceAccount ${file} in ${cluster.serviceAccountDir} (set CERT_ISSUER_SERVICEACCOUNT_DIR or automount the token)`);
    }
  }
  // An endpoint outside the cluster (a load balancer) may serve a certificate from --ca-file's CA.
  const trusted = readFileSync(`${cluster.serviceAccountDir}/ca.crt`, 'utf8') + (config.caFile === undefined ? '' : `\n${readCaFile(config.caFile)}`);
  kubeConfig.loadFromClusterAndUser(
    { name: 'in-cluster', server: cluster.server, caData: Buffer.from(trusted).toString('base64'), skipTLSVerify: false },
    { name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile: `${cluster.serviceAccountDir}/token` } } },
  );
  return kubeConfig;
}

/**
 * The two CAs of a run. The signer's CA is the cluster CA (the ServiceAccount mount's ca.crt, or
 * the kubeconfig's); the certificate must chain to it. The Secret's ca.crt is what verifies the
 * endpoint Flux uses: --ca-file when the endpoint's serving certificate comes from another CA.
 */
export function readCas(config: Config, kubeConfig: KubeConfig): { signerCaPem: string; caCrt: string } {
  const signerCaPem = clusterCa(config, kubeConfig);
  return { signerCaPem, caCrt: config.caFile === undefined ? signerCaPem : readCaFile(config.caFile) };
}

function clusterCa(config: Config, kubeConfig: KubeConfig): string {
  const mounted = `${config.serviceAccountDir}/ca.crt`;
  if (existsSync(mounted)) return readFileSync(mounted, 'utf8');
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (cluster?.caFile) return readFileSync(cluster.caFile, 'utf8');
  throw new ConfigError('no cluster CA: mount the ServiceAccount token or use a kubeconfig with a CA');
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--ca-file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
