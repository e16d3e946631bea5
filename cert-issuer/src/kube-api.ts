import type { V1CertificateSigningRequest, V1CertificateSigningRequestList, V1SelfSubjectReview, V1Secret } from '@kubernetes/client-node';
import { ApiClient, type Connection } from './api-client.ts';
import type { HelmRepositoryRef } from './config.ts';
import { CsrRefusedError, ExitCode, IssuerError } from './errors.ts';
import type { EventObject } from './events.ts';
import { RECONCILE_REQUESTED_AT_ANNOTATION } from '../../src/contract/issuer-api.ts';
import { describe, withRetry, type RetryOptions } from './retry.ts';

const csrPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const secretsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

/**
 * Every API call the issuer makes, and nothing else: flow.ts decides and csr-protocol.ts runs the
 * CSR exchange; this does the I/O. A failure is an IssuerError with the exit code it deserves
 * (401/403: permission denied, exit 3).
 */
export interface KubeApi {
  /** undefined when the Secret does not exist yet. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** Creates the Secret, or replaces it under the resourceVersion it carries; 'conflict' when someone else wrote first. */
  writeSecret(secret: V1Secret): Promise<'written' | 'conflict'>;
  /** The user this process authenticates as, which the API records as a CSR's spec.username. */
  whoAmI(): Promise<string>;
  createCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  readCsr(name: string): Promise<V1CertificateSigningRequest | undefined>;
  /** undefined when the CSR changed since it was read (409), so it has to be verified again. */
  approveCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest | undefined>;
  listCsrs(labelSelector: string): Promise<V1CertificateSigningRequest[]>;
  /** The CSR (undefined when it is gone) and the resourceVersion to watch it from. */
  readCsrForWatch(name: string): Promise<{ csr: V1CertificateSigningRequest | undefined; resourceVersion: string }>;
  /** A CSR that is already gone counts as deleted. */
  deleteCsr(name: string): Promise<void>;
  /**
   * Streams changes to one CSR after `resourceVersion`, possibly some before the promise resolves.
   * `done` gets the reason the stream ended (null when the server closed it, or when it was
   * aborted); the returned controller stops it.
   */
  watchCsr(
    name: string,
    resourceVersion: string,
    onChange: (type: string, csr: V1CertificateSigningRequest) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController>;
  /** Flux's documented way to ask for a reconcile now instead of at the next interval. */
  requestReconcile(repo: HelmRepositoryRef, requestedAt: string): Promise<void>;
  /** An `events.k8s.io/v1` Event, in its metadata's namespace. */
  createEvent(event: EventObject): Promise<void>;
}

/**
 * The thin I/O shell over HTTP: each call retried on transient failures (exit 6 at the deadline).
 * It makes no decisions.
 */
export class Kube implements KubeApi {
  private readonly api: ApiClient;

  public constructor(
    connection: Connection,
    private readonly retry: RetryOptions,
  ) {
    this.api = new ApiClient(connection);
  }

  public async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.call(`get secret ${namespace}/${name}`, () => this.api.request<V1Secret>('GET', `${secretsPath(namespace)}/${encodeURIComponent(name)}`), [404]);
  }

  public async writeSecret(secret: V1Secret): Promise<'written' | 'conflict'> {
    const { namespace, name, resourceVersion } = secret.metadata as { namespace: string; name: string; resourceVersion?: string };
    const written = resourceVersion
      ? await this.call(`update secret ${namespace}/${name}`, () => this.api.request('PUT', `${secretsPath(namespace)}/${encodeURIComponent(name)}`, secret), [409])
      : await this.call(`create secret ${namespace}/${name}`, () => this.api.request('POST', secretsPath(namespace), secret), [409]);
    return written === undefined ? 'conflict' : 'written';
  }

  public async whoAmI(): Promise<string> {
    const review = await this.call('create selfsubjectreview', () =>
      this.api.request<V1SelfSubjectReview>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    );
    const username = review.status?.userInfo?.username;
    if (!username) throw new IssuerError(ExitCode.internal, 'SelfSubjectReview returned no username');
    return username;
  }

  /**
   * A 422 is the API server refusing this very request (its validation, or an admission policy
   * such as the issuer's own): a new CSR from the same config meets the same answer, so it ends
   * the run as a denial (exit 4), not as an internal error the Job would retry.
   */
  public async createCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest> {
    const name = csr.metadata?.name;
    return this.call(`create csr ${name}`, () =>
      this.api.request<V1CertificateSigningRequest>('POST', csrPath, csr).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 422) throw error;
        throw new CsrRefusedError(`the API server refused CSR ${name}: ${describe(error)}`);
      }),
    );
  }

  public async readCsr(name: string): Promise<V1CertificateSigningRequest | undefined> {
    return this.call(`get csr ${name}`, () => this.api.request<V1CertificateSigningRequest>('GET', `${csrPath}/${encodeURIComponent(name)}`), [404]);
  }

  public async approveCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest | undefined> {
    const name = csr.metadata!.name!;
    return this.call(`approve csr ${name}`, () => this.api.request<V1CertificateSigningRequest>('PUT', `${csrPath}/${encodeURIComponent(name)}/approval`, csr), [409]);
  }

  public async listCsrs(labelSelector: string): Promise<V1CertificateSigningRequest[]> {
    const list = await this.call('list csrs', () => this.api.request<V1CertificateSigningRequestList>('GET', `${csrPath}?${query({ labelSelector })}`));
    return list.items;
  }

  public async readCsrForWatch(name: string): Promise<{ csr: V1CertificateSigningRequest | undefined; resourceVersion: string }> {
    const list = await this.call(`list csr ${name}`, () =>
      this.api.request<V1CertificateSigningRequestList>('GET', `${csrPath}?${query({ fieldSelector: `metadata.name=${name}` })}`),
    );
    return { csr: list.items[0], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  public async deleteCsr(name: string): Promise<void> {
    await this.call(`delete csr ${name}`, () => this.api.request('DELETE', `${csrPath}/${encodeURIComponent(name)}`), [404]);
  }

  public async watchCsr(
    name: string,
    resourceVersion: string,
    onChange: (type: string, csr: V1CertificateSigningRequest) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    const path = `${csrPath}?${query({ watch: '1', fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: 'false' })}`;
    return this.api.watch(path, (event) => onChange(event.type, event.object as V1CertificateSigningRequest), done);
  }

  public async requestReconcile(repo: HelmRepositoryRef, requestedAt: string): Promise<void> {
    const path = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${encodeURIComponent(repo.namespace)}/helmrepositories/${encodeURIComponent(repo.name)}`;
    await this.call(`patch helmrepository ${repo.namespace}/${repo.name}`, () =>
      this.api.request('PATCH', path, { metadata: { annotations: { [RECONCILE_REQUESTED_AT_ANNOTATION]: requestedAt } } }, 'application/merge-patch+json'),
    );
  }

  public async createEvent(event: EventObject): Promise<void> {
    const { namespace, name } = event.metadata;
    await this.call(`create event ${namespace}/${name}`, () => this.api.request('POST', `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`, event));
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
