// The writes a thief would make with a stolen token of the issuer's ServiceAccount, one list for
// both halves of issuer-token.e2e.test.ts (with the admission policies and without them). Each
// belongs to a row of the README's table of what such a token can do, whose columns say what the
// API server must answer; the test holds the plane's answers to that table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalPem } from '../cert-issuer/forged-csrs.ts';
import type { IssuerPolicyResource } from '../../src/constructs/names.ts';
import type { Kube } from '../plane/kube.ts';
import { type Dist, repoRoot } from '../plane/testkit.ts';

/** What the README says of a row: the API server refuses by policy, refuses by RBAC, or lets it through. */
export type Outcome = 'refused' | 'refused (RBAC)' | 'open';

export interface ThiefWrite {
  /** The first cell of the README's row. */
  readonly row: string;
  /** The resource written, whose policy judges the write. */
  readonly resource: IssuerPolicyResource;
  readonly what: string;
  /** A fragment of the policy's denial message, where a policy refuses it. */
  readonly refusedFor?: string;
  /** Sends the write as `thief`, with dryRun=All wherever the write would change something. */
  readonly send: (thief: Kube, admin: Kube) => Promise<{ status: number; message: string }>;
}

/** A label on what the suite creates as admin for the thief to act on, so it can all be removed. */
export const THIEF_TARGET_LABEL = { 'fab-e2e.test/thief-target': 'true' } as const;
/** A ServiceAccount bound to cluster-admin in a repository namespace: what the token Secret would mint a token of. */
export const ADMIN_SERVICE_ACCOUNT = 'fab-e2e-admin';

const ROW = {
  deleteCsr: "delete another requester's CSR",
  tokenSecret: 'create a `kubernetes.io/service-account-token` Secret in a repository namespace',
  otherSecret: 'create any other Secret in a repository namespace',
  secretContent: 'write into its Secret other keys, labels, annotations, owners or finalizers, or make it immutable',
  helmRepository: "change a HelmRepository's spec (url, suspend, interval, certSecretRef, provider, type), labels, other annotations or finalizers",
  rbac: 'patch or delete its Secret, read another Secret, read or delete a HelmRepository, write an Event in another namespace',
  foreignEvent: 'write an Event about anything but its own Jobs, or from another controller',
  ownEvent: 'write an Event about one of its own Jobs',
  certificate: "replace its Secret's certificate and key with others (its own, or garbage)",
  reconcile: 'ask a HelmRepository to reconcile',
} as const;

const dryRun = (path: string) => `${path}${path.includes('?') ? '&' : '?'}dryRun=All`;
const answer = (res: { status: number; json?: any; text: string }) => ({ status: res.status, message: String(res.json?.message ?? res.text) });

/** Every write of the list, against the objects of `dist` (dist/dev). */
export function thiefWrites(dist: Dist): ThiefWrite[] {
  const ns = dist.namespaces.at(-1)!;
  const secretPath = `/api/v1/namespaces/${ns}/secrets`;
  const ownSecret = `${secretPath}/${dist.secretName}`;
  const repo = dist.helmRepositories.find((r) => r.metadata.namespace === ns)!;
  const repoPath = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/helmrepositories/${repo.metadata.name}`;
  const csrsPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

  const create = (secret: object) => async (thief: Kube) => answer(await thief.raw('POST', dryRun(secretPath), { apiVersion: 'v1', kind: 'Secret', ...secret }));
  /** A PUT of its own Secret as it is stored, with `change` made to it. */
  const replace = (change: (secret: any) => void) => async (thief: Kube, admin: Kube) => {
    const secret = await admin.get(ownSecret);
    change(secret);
    return answer(await thief.raw('PUT', dryRun(ownSecret), secret));
  };
  const patchRepo = (patch: object) => async (thief: Kube) => answer(await thief.raw('PATCH', dryRun(repoPath), patch, 'application/merge-patch+json'));
  const issuerNs = dist.job.metadata.namespace as string;
  const repositoryNs = dist.namespaces.find((namespace) => namespace !== issuerNs)!;
  /** An Event as the issuer writes one, about its Job, in `namespace`, with `change` made to it. */
  const event = (change: (e: any) => void, namespace = issuerNs) => async (thief: Kube) => {
    const body: any = {
      apiVersion: 'events.k8s.io/v1', kind: 'Event',
      metadata: { generateName: 'fab-e2e-thief-', namespace },
      eventTime: new Date().toISOString().replace('Z', '000Z'),
      reportingController: 'flux-assets-bootstrap.io/cert-issuer', reportingInstance: dist.job.metadata.name,
      action: 'Issue', reason: 'Issued', type: 'Normal', note: 'issued',
      regarding: { apiVersion: 'batch/v1', kind: 'Job', namespace: issuerNs, name: dist.job.metadata.name },
    };
    change(body);
    return answer(await thief.raw('POST', dryRun(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`), body));
  };
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  return [
    {
      row: ROW.deleteCsr, resource: 'certificatesigningrequests', what: 'a pending CSR of another user', refusedFor: 'it may delete only its own CSRs',
      send: async (thief, admin) => {
        const csr = await admin.call('POST', csrsPath, {
          apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
          metadata: { generateName: 'fab-e2e-thief-target-', labels: THIEF_TARGET_LABEL },
          spec: { request: b64(canonicalPem({ commonName: 'fab-e2e-other-requester', organization: undefined }, 2048)), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 600 },
        });
        return answer(await thief.raw('DELETE', dryRun(`${csrsPath}/${csr.metadata.name}`)));
      },
    },
    {
      row: ROW.tokenSecret, resource: 'secrets', what: `a token Secret for ServiceAccount ${ADMIN_SERVICE_ACCOUNT} (cluster-admin)`, refusedFor: `it may write only the Secret ${dist.secretName}`,
      send: create({ metadata: { name: 'fab-e2e-thief-token', annotations: { 'kubernetes.io/service-account.name': ADMIN_SERVICE_ACCOUNT } }, type: 'kubernetes.io/service-account-token' }),
    },
    {
      row: ROW.tokenSecret, resource: 'secrets', what: `a token Secret named ${dist.secretName}`, refusedFor: 'the type must be kubernetes.io/tls, not kubernetes.io/service-account-token',
      // Where the Secret is missing, as before the issuer's first run: the admin deletes it for the
      // attempt and puts it back as it was.
      send: async (thief, admin) => {
        const { metadata: { name, namespace, labels, annotations }, type, data } = await admin.get(ownSecret);
        await admin.call('DELETE', ownSecret);
        try {
          return await create({ metadata: { name: dist.secretName, annotations: { 'kubernetes.io/service-account.name': ADMIN_SERVICE_ACCOUNT } }, type: 'kubernetes.io/service-account-token' })(thief);
        } finally {
          await admin.call('POST', secretPath, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels, annotations }, type, data });
        }
      },
    },
    {
      row: ROW.otherSecret, resource: 'secrets', what: 'an Opaque Secret of another name', refusedFor: `it may write only the Secret ${dist.secretName}`,
      send: create({ metadata: { name: 'esc2-other' }, type: 'Opaque', data: { a: b64('b') } }),
    },
    {
      row: ROW.otherSecret, resource: 'secrets', what: 'a TLS Secret of another name', refusedFor: `it may write only the Secret ${dist.secretName}`,
      send: create({ metadata: { name: 'fab-e2e-thief-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '', 'ca.crt': '' } }),
    },
    ...([
      ['a fourth data key', 'data must hold exactly tls.crt, tls.key, ca.crt', (s: any) => { s.data.extra = b64('x'); }],
      ['a stringData key', 'data must hold exactly tls.crt, tls.key, ca.crt', (s: any) => { s.stringData = { extra: 'x' }; }],
      ['a label of its own', 'of metadata.labels it may set only', (s: any) => { s.metadata.labels.evil = 'x'; }],
      ["the issuer's component label changed", 'it must carry the labels', (s: any) => { s.metadata.labels['app.kubernetes.io/component'] = 'other'; }],
      ['a replicator annotation', 'of metadata.annotations it may set only', (s: any) => { s.metadata.annotations['reflector.v1.k8s.emberstack.com/reflection-allowed'] = 'true'; }],
      ['a finalizer', 'metadata.finalizers may not change', (s: any) => { s.metadata.finalizers = ['fab-e2e.test/keep']; }],
      ['an owner', 'metadata.ownerReferences may not change', (s: any) => { s.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'kube-root-ca.crt', uid: '00000000-0000-0000-0000-000000000001' }]; }],
      ['immutable: true', 'it may not make the Secret immutable', (s: any) => { s.immutable = true; }],
    ] as const).map(([what, refusedFor, change]): ThiefWrite => ({ row: ROW.secretContent, resource: 'secrets', what, refusedFor, send: replace(change) })),
    ...([
      ['spec.url', { url: 'https://charts.thief.example/' }],
      ['spec.suspend', { suspend: true }],
      ['spec.interval', { interval: '999h' }],
      ['spec.certSecretRef', { certSecretRef: { name: 'fab-e2e-thief-tls' } }],
      ['spec.provider', { provider: 'aws' }],
      ['spec.type', { type: 'oci' }],
    ] as const).map(([what, spec]): ThiefWrite => ({ row: ROW.helmRepository, resource: 'helmrepositories', what, refusedFor: 'the spec (url, suspend, interval, certSecretRef, ...) must stay as it is', send: patchRepo({ spec }) })),
    { row: ROW.helmRepository, resource: 'helmrepositories', what: 'a label', refusedFor: 'metadata.labels may not change', send: patchRepo({ metadata: { labels: { evil: 'x' } } }) },
    { row: ROW.helmRepository, resource: 'helmrepositories', what: 'another annotation', refusedFor: 'of metadata.annotations it may set only reconcile.fluxcd.io/requestedAt', send: patchRepo({ metadata: { annotations: { 'fab-e2e.test/x': 'y' } } }) },
    { row: ROW.helmRepository, resource: 'helmrepositories', what: 'a finalizer', refusedFor: 'metadata.finalizers may not change', send: patchRepo({ metadata: { finalizers: ['finalizers.fluxcd.io', 'fab-e2e.test/keep'] } }) },
    { row: ROW.rbac, resource: 'secrets', what: 'a merge patch of its Secret', send: async (thief) => answer(await thief.raw('PATCH', dryRun(ownSecret), { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')) },
    { row: ROW.rbac, resource: 'secrets', what: 'a delete of its Secret', send: async (thief) => answer(await thief.raw('DELETE', dryRun(ownSecret))) },
    { row: ROW.rbac, resource: 'secrets', what: 'a read of another Secret', send: async (thief) => answer(await thief.raw('GET', `${secretPath}/fab-e2e-other`)) },
    { row: ROW.rbac, resource: 'helmrepositories', what: 'a read of a HelmRepository', send: async (thief) => answer(await thief.raw('GET', repoPath)) },
    { row: ROW.rbac, resource: 'helmrepositories', what: 'a delete of a HelmRepository', send: async (thief) => answer(await thief.raw('DELETE', dryRun(repoPath))) },
    {
      row: ROW.certificate, resource: 'secrets', what: 'its Secret with other PEM text', send: replace((s) => {
        s.data['tls.crt'] = b64('not a certificate');
      }),
    },
    ...([
      ['an Event about its Secret', 'it may report only on its own Jobs', (e: any) => { e.regarding = { apiVersion: 'v1', kind: 'Secret', namespace: issuerNs, name: dist.secretName }; }],
      ['an Event about a Job not its own', 'it may report only on its own Jobs', (e: any) => { e.regarding.name = 'other-job'; }],
      ['an Event from another controller', 'reportingController must be', (e: any) => { e.reportingController = 'kubelet'; }],
      ['an Event naming a related object', 'it may not name a related object', (e: any) => { e.related = { apiVersion: 'v1', kind: 'Secret', namespace: issuerNs, name: dist.secretName }; }],
    ] as const).map(([what, refusedFor, change]): ThiefWrite => ({ row: ROW.foreignEvent, resource: 'events', what, refusedFor, send: event(change) })),
    { row: ROW.ownEvent, resource: 'events', what: 'an Event about its Job', send: event(() => undefined) },
    { row: ROW.rbac, resource: 'events', what: 'an Event in a repository namespace', send: event((e) => { e.regarding.namespace = repositoryNs; }, repositoryNs) },
    { row: ROW.reconcile, resource: 'helmrepositories', what: 'the requestedAt annotation', send: patchRepo({ metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } }) },
  ];
}

/** The README's thief table: each row's first cell, and what it says with and without the policies. */
export function readmeThiefTable(): Map<string, { withPolicies: Outcome; withoutPolicies: Outcome }> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- thief-table');
  if (start < 0) throw new Error('README.md has no thief table');
  const lines = readme.slice(start).split('\n').slice(3);
  const rows = lines.slice(0, lines.findIndex((line) => !line.startsWith('| ')));
  const outcome = (cell: string): Outcome => (cell.startsWith('refused (RBAC)') ? 'refused (RBAC)' : cell.startsWith('refused') ? 'refused' : cell.startsWith('open') ? 'open' : fail(cell));
  return new Map(rows.map((line) => {
    const [row, withPolicies, withoutPolicies] = line.slice(2, -2).split(' | ');
    return [row!, { withPolicies: outcome(withPolicies!), withoutPolicies: outcome(withoutPolicies!) }];
  }));
}

function fail(cell: string): never {
  throw new Error(`README thief table: a cell must start with refused, refused (RBAC) or open: ${cell}`);
}
