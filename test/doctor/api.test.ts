// doctor's one client against a local HTTPS server: what reaches the server, as whom, and what
// comes back. The server plays no part of Kubernetes beyond answering; the flows against a real
// API server are the e2e suite's.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { assetsPodName, podProxyPath } from '../../src/constructs/names.ts';
import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { KubeApi } from '../../src/doctor/api.ts';
import { clientCert, makeCa, rsaKey } from '../cert-issuer/pki.ts';

const validity = { notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01') };
const ca = makeCa('api-ca');
const serverKey = rsaKey();
// Node checks the CN when a certificate has no DNS names.
const serverCert = clientCert(ca, serverKey, { commonName: 'localhost', clientAuth: false, ...validity });
const readerKey = rsaKey();
const reader = { ca: ca.certPem, cert: clientCert(ca, readerKey, { commonName: 'cozystack-assets-reader', ...validity }), key: readerKey.privateKeyPem };

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  impersonate?: string;
  clientCN?: string;
}

let server: Server;
let seen: Seen[];
let endpoint: ApiEndpoint;

beforeEach(async () => {
  seen = [];
  server = createServer({ key: serverKey.privateKeyPem, cert: serverCert, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({
        method: req.method!,
        url: req.url!,
        authorization: req.headers.authorization,
        impersonate: req.headers['impersonate-user'] as string | undefined,
        clientCN: peer.subject?.CN as string | undefined,
      });
      const [status, type, text] = answerTo(req.method!, req.url!, body);
      res.writeHead(status, { 'content-type': type }).end(text);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = ApiEndpoint.parse(`localhost:${(server.address() as AddressInfo).port}`);
});

afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

/** The server's answer: a Status for the paths named so, an index, or else the request's body or an object. */
function answerTo(method: string, url: string, body: string): [number, string, string] {
  if (url.endsWith('/missing')) return [404, 'application/json', '{"kind":"Status","message":"configmaps \\"missing\\" not found"}'];
  if (url.endsWith('/forbidden')) return [403, 'application/json', '{"kind":"Status","message":"User \\"me\\" cannot get resource"}'];
  if (url.endsWith('/index.yaml')) return [200, 'application/x-yaml', 'apiVersion: v1\nentries: {}\n'];
  return [method === 'POST' ? 201 : 200, 'application/json', body || '{"kind":"ConfigMap","data":{"ca.crt":"pem"}}'];
}

/** A kubeconfig for the local server whose user has a bearer token. */
function tokenKubeConfig(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'local', server, caData: Buffer.from(ca.certPem).toString('base64') }],
    users: [{ name: 'admin', token: 'admin-token' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'admin' }],
    currentContext: 'local',
  });
  return kubeConfig;
}

describe("GIVEN a client with the kubeconfig's credentials", () => {
  test('WHEN it reads an object THEN it sends the bearer token and gets the object', async () => {
    const api = await KubeApi.fromKubeConfig(tokenKubeConfig(endpoint.url('')));
    const configMap = await api.get<{ data: Record<string, string> }>('/api/v1/namespaces/cozy-system/configmaps/kube-root-ca.crt');
    expect(configMap.data).toEqual({ 'ca.crt': 'pem' });
    expect(seen).toMatchObject([{ method: 'GET', url: '/api/v1/namespaces/cozy-system/configmaps/kube-root-ca.crt', authorization: 'Bearer admin-token' }]);
  });

  test('WHEN the server holds no such object THEN find says so, and get fails with the reason the server gave', async () => {
    const api = await KubeApi.fromKubeConfig(tokenKubeConfig(endpoint.url('')));
    await expect(api.find('/api/v1/namespaces/ns/configmaps/missing')).resolves.toBeUndefined();
    await expect(api.get('/api/v1/namespaces/ns/configmaps/missing')).rejects.toThrow('GET /api/v1/namespaces/ns/configmaps/missing: HTTP 404: configmaps "missing" not found');
    await expect(api.find('/api/v1/namespaces/ns/secrets/forbidden')).rejects.toThrow('HTTP 403: User "me" cannot get resource');
  });

  test('WHEN it creates as another user THEN only that request impersonates, and any answer comes back', async () => {
    const api = await KubeApi.fromKubeConfig(tokenKubeConfig(endpoint.url('')));
    const answer = await api.send('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests?dryRun=All', { body: { kind: 'CertificateSigningRequest' }, as: 'system:serviceaccount:ns:cert-issuer' });
    const created = await api.create<{ kind: string }>('/apis/authorization.k8s.io/v1/subjectaccessreviews', { kind: 'SubjectAccessReview' });
    expect(answer).toEqual({ status: 201, body: '{"kind":"CertificateSigningRequest"}' });
    expect(created).toEqual({ kind: 'SubjectAccessReview' });
    expect(seen.map(({ url, impersonate, authorization }) => ({ url, impersonate, authorization }))).toEqual([
      { url: '/apis/certificates.k8s.io/v1/certificatesigningrequests?dryRun=All', impersonate: 'system:serviceaccount:ns:cert-issuer', authorization: 'Bearer admin-token' },
      { url: '/apis/authorization.k8s.io/v1/subjectaccessreviews', impersonate: undefined, authorization: 'Bearer admin-token' },
    ]);
  });

  test("WHEN the kubeconfig's server has a path THEN every request goes below it", async () => {
    const api = await KubeApi.fromKubeConfig(tokenKubeConfig(endpoint.url('/k8s/clusters/c-1/')));
    await api.get('/version');
    expect(seen.map((s) => s.url)).toEqual(['/k8s/clusters/c-1/version']);
  });
});

describe("GIVEN a client with a Secret's files", () => {
  test("WHEN it fetches a repository index through the pod proxy THEN the server sees the HelmRepository's path as it is and the certificate's CN", async () => {
    const path = `${podProxyPath('cozy-system', assetsPodName('cozystack-assets'), 'apps')}/index.yaml`;
    const answer = await KubeApi.at(endpoint, reader).send('GET', path);
    expect(answer).toEqual({ status: 200, body: 'apiVersion: v1\nentries: {}\n' });
    expect(seen).toMatchObject([{ url: '/api/v1/namespaces/cozy-system/pods/cozystack-assets-0/proxy/repos/apps/index.yaml', clientCN: 'cozystack-assets-reader', authorization: undefined }]);
  });

  test('WHEN its ca.crt signs the serving certificate THEN a request without a certificate gets an answer', async () => {
    await expect(KubeApi.at(endpoint, { ca: ca.certPem }).send('GET', '/version')).resolves.toMatchObject({ status: 200 });
    expect(seen).toMatchObject([{ clientCN: undefined }]);
  });

  test('WHEN its ca.crt does not sign the serving certificate THEN no request reaches the server and the TLS reason comes back', async () => {
    await expect(KubeApi.at(endpoint, { ca: makeCa('other-ca').certPem }).send('GET', '/version')).rejects.toThrow(/self[- ]signed|unable to verify|unable to get local issuer/);
    expect(seen).toEqual([]);
  });
});
