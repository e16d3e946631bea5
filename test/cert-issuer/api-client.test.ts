// The issuer's API client (cert-issuer/src/api-client.ts), against a local HTTPS server. It stands in
// for @kubernetes/client-node's runtime: every call the issuer makes (kube-api.ts's, over this
// client) reaches the API server as client-node's same call does. And its connections: calls share
// one kept-alive connection, and a watch gets one of its own, so the calls neither wait behind it
// nor lose theirs when it ends.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
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
import { ApiClient } from '../../cert-issuer/src/api-client.ts';
import { Kube } from '../../cert-issuer/src/kube-api.ts';
import { systemClock } from '../../cert-issuer/src/system-clock.ts';
import { RECONCILE_REQUESTED_AT_ANNOTATION, SECRET_LABEL } from '../../src/contract/issuer-api.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

const ca = makeCa('api-ca');
const serverKey = rsaKey();
// Node checks the CN when a certificate has no DNS names.
const serverCert = clientCert(ca, serverKey, { commonName: 'localhost', clientAuth: false, notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01') });
const token = 'test-token';

/** One request as the API server reads it. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
  /** The media type of the body, when there is one. */
  readonly contentType: string | undefined;
  readonly body: unknown;
}

let server: Server;
let connections = 0;
let received: Received[] = [];

function receive(req: IncomingMessage, text: string): Received {
  const url = new URL(req.url!, 'https://localhost');
  // The API server reads `watch` with Go's strconv.ParseBool, to which 1 and true are the same.
  if (url.searchParams.get('watch') === '1') url.searchParams.set('watch', 'true');
  return {
    method: req.method!,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    authorization: req.headers.authorization,
    contentType: text === '' ? undefined : req.headers['content-type'],
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** Just enough of the API server's answers for either client to read them. */
function answer(request: Received, res: ServerResponse): void {
  if (request.query.watch === 'true') {
    // A watch: one event, then the stream stays open until the client goes.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED","object":{"kind":"CertificateSigningRequest"}}\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  if (request.path.endsWith('/selfsubjectreviews')) res.end(JSON.stringify({ status: { userInfo: { username: 'reader' } } }));
  else if (request.path.endsWith('/certificatesigningrequests') && request.method === 'GET') res.end(JSON.stringify({ metadata: { resourceVersion: '7' }, items: [] }));
  else res.end(JSON.stringify({ path: request.path }));
}

beforeEach(async () => {
  connections = 0;
  received = [];
  server = createServer({ key: serverKey.privateKeyPem, cert: serverCert }, (req, res) => {
    if (req.url!.startsWith('/unanswered')) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = receive(req, Buffer.concat(chunks).toString('utf8'));
      received.push(request);
      answer(request, res);
    });
  });
  server.on('secureConnection', () => connections++);
  server.listen(0, 'localhost');
  await once(server, 'listening');
});

afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const serverUrl = () => `https://localhost:${(server.address() as AddressInfo).port}`;

/** Resolves when `condition` holds; fails after a second instead of waiting for Jest's timeout. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() - started > 1_000) throw new Error(`not within a second: ${what}`);
  }
}

test('GIVEN a watch in progress WHEN the client makes calls THEN they are answered beside it, and its end leaves their kept-alive connection open', async () => {
  const client = new ApiClient({ server: serverUrl(), ca: ca.certPem, token });
  const events: unknown[] = [];
  let ended: unknown = 'still open';
  const watch = client.watch('/csrs?watch=1', (event) => events.push(event), (error) => (ended = error));
  await until('the watch delivers its event', () => events.length === 1);

  let answered: unknown;
  void client.request('GET', '/during-watch').then((body) => (answered = body));
  await until('a call is answered while the watch is open', () => answered !== undefined);
  watch.abort();
  await until('the watch reports its end', () => ended !== 'still open');
  const after = await client.request('GET', '/after-watch');

  expect(events).toEqual([{ type: 'ADDED', object: { kind: 'CertificateSigningRequest' } }]);
  expect(answered).toEqual({ path: '/during-watch' });
  expect(ended).toBeNull();
  expect(after).toEqual({ path: '/after-watch' });
  expect(connections).toBe(2);
});

test('GIVEN a watch the server has not answered yet WHEN it is aborted THEN it ends cleanly, with no error', async () => {
  const client = new ApiClient({ server: serverUrl(), ca: ca.certPem, token });
  let ended: unknown = 'still open';
  const watch = client.watch('/unanswered?watch=1', () => undefined, (error) => (ended = error));
  await until('the server has the request', () => connections === 1);

  watch.abort();
  await until('the watch reports its end', () => ended !== 'still open');

  expect(ended).toBeNull();
});

describe('GIVEN the issuer\'s calls (kube-api.ts over this client) and @kubernetes/client-node\'s', () => {
  const secret: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'assets-tls', namespace: 'cozy-public' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Q1JU' } };
  const csrName = 'assets-tls-0a1b2c3d';
  const csr: V1CertificateSigningRequest = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: csrName, resourceVersion: '5' },
    spec: { request: 'UEVN', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'], expirationSeconds: 600 },
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'CertIssuerVerified' }] },
  };
  const csrsPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

  const issuer = () => new Kube({ server: serverUrl(), ca: ca.certPem, token }, { ...systemClock, deadline: Date.now() + 5_000 });
  function clientNodeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'api', server: serverUrl(), caData: Buffer.from(ca.certPem).toString('base64') }],
      users: [{ name: 'issuer', token }],
      contexts: [{ name: 'api', cluster: 'api', user: 'issuer' }],
      currentContext: 'api',
    });
    return config;
  }
  const clientNode = () => {
    const config = clientNodeConfig();
    return {
      core: config.makeApiClient(CoreV1Api),
      authentication: config.makeApiClient(AuthenticationV1Api),
      certificates: config.makeApiClient(CertificatesV1Api),
      customObjects: config.makeApiClient(CustomObjectsApi),
    };
  };

  test.each<[string, (kube: Kube) => Promise<unknown>, (apis: ReturnType<typeof clientNode>) => Promise<unknown>]>([
    ['read a Secret', (kube) => kube.readSecret('cozy-public', 'assets-tls'), ({ core }) => core.readNamespacedSecret({ namespace: 'cozy-public', name: 'assets-tls' })],
    ['create a Secret', (kube) => kube.writeSecret(secret), ({ core }) => core.createNamespacedSecret({ namespace: 'cozy-public', body: secret })],
    [
      'replace a Secret under its resourceVersion',
      (kube) => kube.writeSecret({ ...secret, metadata: { ...secret.metadata, resourceVersion: '42' } }),
      ({ core }) => core.replaceNamespacedSecret({ namespace: 'cozy-public', name: 'assets-tls', body: { ...secret, metadata: { ...secret.metadata, resourceVersion: '42' } } }),
    ],
    [
      'ask who they are',
      (kube) => kube.whoAmI(),
      ({ authentication }) => authentication.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }),
    ],
    ['create a CSR', (kube) => kube.createCsr(csr), ({ certificates }) => certificates.createCertificateSigningRequest({ body: csr })],
    ['read a CSR', (kube) => kube.readCsr(csrName), ({ certificates }) => certificates.readCertificateSigningRequest({ name: csrName })],
    ['approve a CSR', (kube) => kube.approveCsr(csr), ({ certificates }) => certificates.replaceCertificateSigningRequestApproval({ name: csrName, body: csr })],
    [
      'list CSRs by label',
      (kube) => kube.listCsrs(`${SECRET_LABEL}=assets-tls`),
      ({ certificates }) => certificates.listCertificateSigningRequest({ labelSelector: `${SECRET_LABEL}=assets-tls` }),
    ],
    [
      'list one CSR to watch it from',
      (kube) => kube.readCsrForWatch(csrName),
      ({ certificates }) => certificates.listCertificateSigningRequest({ fieldSelector: `metadata.name=${csrName}` }),
    ],
    ['delete a CSR', (kube) => kube.deleteCsr(csrName), ({ certificates }) => certificates.deleteCertificateSigningRequest({ name: csrName })],
    [
      'ask Flux to reconcile a HelmRepository',
      (kube) => kube.requestReconcile({ namespace: 'cozy-public', name: 'apps' }, '2026-03-01T08:00:00Z'),
      ({ customObjects }) =>
        customObjects.patchNamespacedCustomObject(
          {
            group: 'source.toolkit.fluxcd.io',
            version: 'v1',
            namespace: 'cozy-public',
            plural: 'helmrepositories',
            name: 'apps',
            body: { metadata: { annotations: { [RECONCILE_REQUESTED_AT_ANNOTATION]: '2026-03-01T08:00:00Z' } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
    ],
  ])('WHEN each client makes the call to %s THEN the API server receives the same request', async (_call, byIssuer, byClientNode) => {
    await byIssuer(issuer());
    await byClientNode(clientNode());

    expect(received).toHaveLength(2);
    expect(received[0]).toEqual(received[1]);
  });

  test('WHEN each client watches a CSR from a resourceVersion THEN the API server receives the same request, and each hands on the same event', async () => {
    const events: unknown[][] = [[], []];
    const ours = await issuer().watchCsr(csrName, '5', (type, object) => events[0]!.push({ type, object }), () => undefined);
    await until('the issuer\'s watch delivers its event', () => events[0]!.length === 1);
    const theirs = await new Watch(clientNodeConfig()).watch(
      csrsPath,
      { fieldSelector: `metadata.name=${csrName}`, resourceVersion: '5', allowWatchBookmarks: false },
      (type, object) => events[1]!.push({ type, object }),
      () => undefined,
    );
    await until('client-node\'s watch delivers its event', () => events[1]!.length === 1);
    ours.abort();
    theirs.abort();

    expect(received).toHaveLength(2);
    expect(received[0]).toEqual(received[1]);
    expect(events[0]).toEqual(events[1]);
  });
});
