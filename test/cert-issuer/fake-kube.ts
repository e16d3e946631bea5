import type { V1CertificateSigningRequest, V1CertificateSigningRequestCondition, V1Secret } from '@kubernetes/client-node';
import forge from 'node-forge';
import type { HelmRepositoryRef } from '../../cert-issuer/src/config.ts';
import { ExitCode, IssuerError } from '../../cert-issuer/src/errors.ts';
import type { EventObject } from '../../cert-issuer/src/events.ts';
import type { KubeApi } from '../../cert-issuer/src/kube-api.ts';
import type { FakeClock } from './fake-clock.ts';
import { clientCert, type Ca } from './pki.ts';

type Method = keyof KubeApi;
/** Runs ahead of a call: it may change the store, throw (a failed call), or take (fake) time (a slow one). */
type Hook = () => void | Promise<void>;

/** How a watch ends other than by our own abort. */
export type WatchDrop =
  /** The server closes the stream, as it does after its watch timeout. */
  | 'closed'
  /** The connection breaks. */
  | 'reset'
  /** An ERROR event, 410 Gone: the resourceVersion is too old to watch from. */
  | 'gone';

interface Watcher {
  readonly name: string;
  readonly onChange: (type: string, csr: V1CertificateSigningRequest) => void;
  readonly end: (error: unknown) => void;
  ended: boolean;
}

const mutating = new Set<Method>(['writeSecret', 'createCsr', 'approveCsr', 'deleteCsr', 'requestReconcile', 'createEvent']);

/**
 * The API server as the issuer sees it, in memory: Secrets and CSRs in maps under one
 * resourceVersion counter, 409s on stale writes, and a watch that replays the CSR's events after
 * the resourceVersion it starts from. Tests act as the rest of the cluster through its public
 * methods: the signer, an approver that denies, a rival writer, a watch that drops.
 *
 * Like client-go's fake clientset with reactors: `before` runs a test's hook ahead of a call.
 */
export class FakeKube implements KubeApi {
  /** Every call, in order, as `method target`. */
  public readonly calls: string[] = [];
  /** HelmRepositories that exist, as `namespace/name`, and their reconcile annotation once asked. */
  public readonly helmRepositories = new Map<string, string | undefined>();
  /** What the signer does once a CSR is approved; by default it signs at once, as kube-controller-manager does. */
  public afterApproval: (name: string) => void = (name) => this.sign(name);

  private readonly secrets = new Map<string, V1Secret>();
  private readonly csrs = new Map<string, V1CertificateSigningRequest>();
  private readonly events: { revision: number; type: string; csr: V1CertificateSigningRequest }[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly hooks = new Map<Method, Hook[]>();
  private readonly rivals = new Map<string, number>();
  private readonly drops: { afterMs: number; how: WatchDrop }[] = [];
  private revision = 100;
  private created = 0;

  public constructor(
    private readonly clock: FakeClock,
    private readonly ca: Ca,
    /** Who the issuer authenticates as; the API records it as spec.username of its CSRs. */
    private readonly username: string,
  ) {}

  /** Mutating calls only: what a no-op run must not make. */
  public get writes(): string[] {
    return this.calls.filter((call) => mutating.has(call.split(' ')[0] as Method));
  }

  public secret(namespace: string, name: string): V1Secret | undefined {
    return clone(this.secrets.get(`${namespace}/${name}`));
  }

  public csr(name: string): V1CertificateSigningRequest | undefined {
    return clone(this.csrs.get(name));
  }

  /** Watches opened and not yet ended. */
  public get openWatches(): number {
    return this.watchers.size;
  }

  public csrNames(): string[] {
    return [...this.csrs.keys()];
  }

  /** Stores a Secret as someone else would: a new resourceVersion, no 409. */
  public putSecret(secret: V1Secret): void {
    const { namespace, name } = secret.metadata as { namespace: string; name: string };
    this.secrets.set(`${namespace}/${name}`, { ...clone(secret), metadata: { ...clone(secret.metadata), resourceVersion: this.bump() } });
  }

  /** Stores a CSR as another requester, or an earlier run, would have. */
  public putCsr(csr: V1CertificateSigningRequest): void {
    this.record('ADDED', { ...clone(csr), metadata: { uid: `uid-${++this.created}`, ...clone(csr.metadata) } });
  }

  /** Runs `hook` before each of the next `times` calls of `method`. */
  public before(method: Method, hook: Hook, times = 1): void {
    this.hooks.set(method, [...(this.hooks.get(method) ?? []), ...Array.from({ length: times }, () => hook)]);
  }

  /** Another writer stores its own Secret in `namespace` just before each of our next `times` writes there. */
  public rivalWrites(namespace: string, times: number): void {
    this.rivals.set(namespace, times);
  }

  /** The next watch opened ends `afterMs` after it opens, in the way given; one call per watch. */
  public dropWatch(how: WatchDrop, afterMs = 0): void {
    this.drops.push({ afterMs, how });
  }

  /** The signer's work: a certificate for the request's key and subject, from the test CA unless told otherwise. */
  public sign(name: string, options: { ca?: Ca; commonName?: string; certificatePem?: string } = {}): void {
    this.change(name, (csr) => {
      const request = forge.pki.certificationRequestFromPem(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
      const now = this.clock.now();
      const certificatePem =
        options.certificatePem ??
        clientCert(
          options.ca ?? this.ca,
          { publicKeyPem: forge.pki.publicKeyToPem(request.publicKey as forge.pki.rsa.PublicKey) },
          {
            commonName: options.commonName ?? String(request.subject.getField('CN').value),
            // Backdated, as kube-controller-manager does, against clock skew.
            notBefore: new Date(now - 5 * 60_000),
            notAfter: new Date(now + (csr.spec.expirationSeconds ?? 3600) * 1000),
          },
        );
      csr.status = { ...csr.status, certificate: Buffer.from(certificatePem).toString('base64') };
    });
  }

  /** A Denied condition (an approver) or a Failed one (the signer). */
  public condition(name: string, type: 'Denied' | 'Failed', reason: string): void {
    const condition: V1CertificateSigningRequestCondition = { type, status: 'True', reason, message: `${type} by the test` };
    this.change(name, (csr) => {
      csr.status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] };
    });
  }

  /** Any change by someone else: a new resourceVersion and a MODIFIED event. */
  public change(name: string, edit: (csr: V1CertificateSigningRequest) => void): void {
    const csr = clone(this.csrs.get(name));
    if (csr === undefined) throw new Error(`fake: no CSR ${name}`);
    edit(csr);
    this.record('MODIFIED', csr);
  }

  /** Someone deletes the CSR (an admin, or the garbage collector). */
  public remove(name: string): void {
    const csr = this.csrs.get(name);
    if (csr !== undefined) this.record('DELETED', csr);
  }

  public async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    await this.enter('readSecret', `${namespace}/${name}`);
    return this.secret(namespace, name);
  }

  public async writeSecret(secret: V1Secret): Promise<'written' | 'conflict'> {
    const { namespace, name, resourceVersion } = secret.metadata as { namespace: string; name: string; resourceVersion?: string };
    const key = `${namespace}/${name}`;
    await this.enter('writeSecret', key);
    const rivalry = this.rivals.get(namespace) ?? 0;
    if (rivalry > 0) {
      this.rivals.set(namespace, rivalry - 1);
      this.putSecret({ metadata: { namespace, name }, type: 'kubernetes.io/tls', data: { owner: Buffer.from('rival').toString('base64') } });
    }
    const stored = this.secrets.get(key);
    if (resourceVersion === undefined ? stored !== undefined : stored?.metadata?.resourceVersion !== resourceVersion) {
      return 'conflict';
    }
    this.putSecret(secret);
    return 'written';
  }

  public async whoAmI(): Promise<string> {
    await this.enter('whoAmI', 'selfsubjectreview');
    return this.username;
  }

  public async createCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest> {
    const name = csr.metadata!.name!;
    await this.enter('createCsr', name);
    if (this.csrs.has(name)) throw new IssuerError(ExitCode.internal, `create csr ${name}: HTTP 409 AlreadyExists`);
    this.record('ADDED', {
      ...clone(csr),
      metadata: { ...clone(csr.metadata), uid: `uid-${++this.created}`, creationTimestamp: this.clock.date },
      spec: { ...clone(csr.spec), username: this.username },
    });
    return this.csr(name)!;
  }

  public async readCsr(name: string): Promise<V1CertificateSigningRequest | undefined> {
    await this.enter('readCsr', name);
    return this.csr(name);
  }

  /** The approval subresource: only the conditions change, and only from the current resourceVersion. */
  public async approveCsr(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest | undefined> {
    const name = csr.metadata!.name!;
    await this.enter('approveCsr', name);
    const stored = this.csrs.get(name);
    if (stored === undefined) throw new IssuerError(ExitCode.internal, `approve csr ${name}: HTTP 404 NotFound`);
    if (stored.metadata!.resourceVersion !== csr.metadata?.resourceVersion) return undefined;
    this.change(name, (current) => {
      current.status = { ...current.status, conditions: clone(csr.status?.conditions) };
    });
    const approved = this.csr(name);
    this.afterApproval(name);
    return approved;
  }

  public async listCsrs(labelSelector: string): Promise<V1CertificateSigningRequest[]> {
    await this.enter('listCsrs', labelSelector);
    const [key, value] = labelSelector.split('=') as [string, string];
    return [...this.csrs.values()].filter((csr) => csr.metadata?.labels?.[key] === value).map((csr) => clone(csr));
  }

  public async readCsrForWatch(name: string): Promise<{ csr: V1CertificateSigningRequest | undefined; resourceVersion: string }> {
    await this.enter('readCsrForWatch', name);
    return { csr: this.csr(name), resourceVersion: String(this.revision) };
  }

  public async deleteCsr(name: string): Promise<void> {
    await this.enter('deleteCsr', name);
    this.remove(name);
  }

  /** Replays the events after `resourceVersion` before it returns, as a server with them at hand does. */
  public async watchCsr(
    name: string,
    resourceVersion: string,
    onChange: (type: string, csr: V1CertificateSigningRequest) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    await this.enter('watchCsr', `${name}@${resourceVersion}`);
    const controller = new AbortController();
    const watcher: Watcher = {
      name,
      onChange,
      ended: false,
      end: (error) => {
        if (watcher.ended) return;
        watcher.ended = true;
        this.watchers.delete(watcher);
        done(error);
      },
    };
    // As the HTTP client does: our own abort ends the stream without an error, a moment later.
    controller.signal.addEventListener('abort', () => queueMicrotask(() => watcher.end(null)), { once: true });
    const drop = this.drops.shift();
    // A resourceVersion too old to watch from gets nothing but the ERROR event.
    if (drop?.how !== 'gone') {
      this.watchers.add(watcher);
      for (const event of this.events) {
        if (event.revision > Number(resourceVersion) && event.csr.metadata?.name === name) onChange(event.type, clone(event.csr));
      }
    }
    if (drop !== undefined) {
      void this.clock.sleep(drop.afterMs).then(() => {
        if (watcher.ended) return;
        if (drop.how === 'gone') onChange('ERROR', { kind: 'Status', code: 410, reason: 'Expired' } as unknown as V1CertificateSigningRequest);
        watcher.end(drop.how === 'reset' ? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) : null);
      });
    }
    return controller;
  }

  /** The Events created, in order. */
  public readonly recorded: EventObject[] = [];

  public async createEvent(event: EventObject): Promise<void> {
    await this.enter('createEvent', `${event.metadata.namespace}/${event.metadata.name}`);
    this.recorded.push(clone(event));
  }

  public async requestReconcile(repo: HelmRepositoryRef, requestedAt: string): Promise<void> {
    const key = `${repo.namespace}/${repo.name}`;
    await this.enter('requestReconcile', key);
    if (!this.helmRepositories.has(key)) throw new IssuerError(ExitCode.internal, `patch helmrepository ${key}: HTTP 404 NotFound`);
    this.helmRepositories.set(key, requestedAt);
  }

  private async enter(method: Method, target: string): Promise<void> {
    this.calls.push(`${method} ${target}`);
    await this.hooks.get(method)?.shift()?.();
  }

  private bump(): string {
    return String(++this.revision);
  }

  private record(type: string, csr: V1CertificateSigningRequest): void {
    const name = csr.metadata!.name!;
    const stored = { ...csr, metadata: { ...csr.metadata, resourceVersion: this.bump() } };
    if (type === 'DELETED') this.csrs.delete(name);
    else this.csrs.set(name, stored);
    this.events.push({ revision: this.revision, type, csr: stored });
    for (const watcher of [...this.watchers]) {
      if (watcher.name === name) watcher.onChange(type, clone(stored));
    }
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
