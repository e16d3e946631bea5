// A floor under the cert-issuer's issue run, against the real API server: the calls and the key
// every issuance needs, in the issuer's order, with none of its checks, logs, retries or
// decisions. Run as the Job runs (an ES module file, the image's environment) with the mounted
// token and CA; `--help` only exits, for the compile cache. argv[2] is the plan bench/issuance.ts
// writes: the CSR object, the Secret to write in each namespace, the HelmRepositories to refresh
// and Flux's annotation that asks for it.
//
// - One kept-alive connection for the calls, one more for the watch, opened right after the create.
// - Both Secrets read first: a run must know whether to issue before it spends a key.
// - An RSA key of the Job's size, made then. The CSR itself was made beforehand by the issuer's
//   own encoder from another key (the API's admission policy checks its shape), so the key only
//   costs its time here, as the issuer's costs it.
// - The create, the approval, the watch until the signer's certificate, a Secret in each
//   namespace, the HelmRepository patches and the CSR's deletion.
if (process.argv.includes('--help')) process.exit(0);
const https = process.getBuiltinModule('node:https');
const fs = process.getBuiltinModule('node:fs');
const crypto = process.getBuiltinModule('node:crypto');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const mount = process.env.CERT_ISSUER_SERVICEACCOUNT_DIR;
const ca = fs.readFileSync(`${mount}/ca.crt`, 'utf8');
const endpoint = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
const csrs = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const secrets = (namespace) => `/api/v1/namespaces/${namespace}/secrets`;
const headers = (contentType) => ({
  authorization: `Bearer ${fs.readFileSync(`${mount}/token`, 'utf8').trim()}`,
  accept: 'application/json',
  ...(contentType && { 'content-type': contentType }),
});

/** One call; a 404 answers null (a Secret not there yet), any other failure ends the run. */
const call = (method, path, body, contentType = 'application/json') =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ ...endpoint, method, path, agent, headers: headers(payload && contentType) }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 404) resolve(null);
        else if (res.statusCode >= 400) reject(new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(payload);
  });

/** The certificate, from a watch on a connection of its own. */
const signed = (name, resourceVersion) =>
  new Promise((resolve, reject) => {
    const query = `watch=1&fieldSelector=metadata.name%3D${name}&resourceVersion=${resourceVersion}`;
    const req = https.request({ ...endpoint, path: `${csrs}?${query}`, agent: new https.Agent({ ca }), headers: headers() }, (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop();
        for (const line of lines) {
          const certificate = line === '' ? undefined : JSON.parse(line).object?.status?.certificate;
          if (certificate !== undefined) {
            res.destroy();
            resolve(certificate);
          }
        }
      });
    });
    req.on('error', reject);
    req.end();
  });

await Promise.all(plan.namespaces.map((namespace) => call('GET', `${secrets(namespace)}/${plan.secret.metadata.name}`)));
await new Promise((resolve, reject) =>
  crypto.generateKeyPair('rsa', { modulusLength: plan.keyBits }, (error) => (error ? reject(error) : resolve())));
const created = await call('POST', csrs, plan.csr);
const { name, resourceVersion } = created.metadata;
const certificate = signed(name, resourceVersion);
const approved = { type: 'Approved', status: 'True', reason: 'BenchFloor', message: 'approved by bench/issue-floor.mjs' };
await call('PUT', `${csrs}/${name}/approval`, { ...created, status: { conditions: [approved] } });
const data = { ...plan.secret.data, 'tls.crt': await certificate };
await Promise.all(plan.namespaces.map((namespace) =>
  call('POST', secrets(namespace), { ...plan.secret, metadata: { ...plan.secret.metadata, namespace }, data })));
await Promise.all([
  ...plan.helmRepositories.map(({ namespace, name: repo }) => call(
    'PATCH',
    `/apis/source.toolkit.fluxcd.io/v1/namespaces/${namespace}/helmrepositories/${repo}`,
    { metadata: { annotations: { [plan.reconcileAnnotation]: String(Date.now()) } } },
    'application/merge-patch+json',
  )),
  call('DELETE', `${csrs}/${name}`),
]);
process.exit(0);
