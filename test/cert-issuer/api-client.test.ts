// The client's connections, against a local HTTPS server: calls share one kept-alive connection,
// and a watch gets one of its own, so the calls neither wait behind it nor lose theirs when it ends.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../cert-issuer/src/api-client.ts';
import { clientCert, makeCa, rsaKey } from './pki.ts';

const ca = makeCa('api-ca');
const serverKey = rsaKey();
// Node checks the CN when a certificate has no DNS names.
const serverCert = clientCert(ca, serverKey, { commonName: 'localhost', clientAuth: false, notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01') });

let server: Server;
let connections = 0;

beforeEach(async () => {
  connections = 0;
  server = createServer({ key: serverKey.privateKeyPem, cert: serverCert }, (req, res) => {
    if (req.url!.startsWith('/unanswered')) return;
    if (req.url!.includes('watch=1')) {
      // A watch: one event, then the stream stays open until the client goes.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"kind":"CertificateSigningRequest"}}\n');
      return;
    }
    res.end(JSON.stringify({ path: req.url }));
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

/** Resolves when `condition` holds; fails after a second instead of waiting for Jest's timeout. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() - started > 1_000) throw new Error(`not within a second: ${what}`);
  }
}

test('GIVEN a watch in progress WHEN the client makes calls THEN they are answered beside it, and its end leaves their kept-alive connection open', async () => {
  const client = new ApiClient({ server: `https://localhost:${(server.address() as AddressInfo).port}`, ca: ca.certPem, token: 'test-token' });
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
  const client = new ApiClient({ server: `https://localhost:${(server.address() as AddressInfo).port}`, ca: ca.certPem, token: 'test-token' });
  let ended: unknown = 'still open';
  const watch = client.watch('/unanswered?watch=1', () => undefined, (error) => (ended = error));
  await until('the server has the request', () => connections === 1);

  watch.abort();
  await until('the watch reports its end', () => ended !== 'still open');

  expect(ended).toBeNull();
});
