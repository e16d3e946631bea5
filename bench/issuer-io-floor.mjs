// A floor under the cert-issuer's peak RSS, run against the real API server as the issuer is: Node
// doing the I/O of an issue run with none of the issuer's code. One kept-alive HTTPS connection
// verified with the mounted CA, 14 requests with the mounted token (an issue run makes 14 calls and
// a watch), an RSA-2048 key generated meanwhile, and the CA parsed as X.509. Run as the Job runs
// (an ES module file, the image's environment); `--help` only exits, for the compile cache.
if (process.argv.includes('--help')) process.exit(0);
const https = process.getBuiltinModule('node:https');
const fs = process.getBuiltinModule('node:fs');
const crypto = process.getBuiltinModule('node:crypto');
const mount = process.env.CERT_ISSUER_SERVICEACCOUNT_DIR;
const ca = fs.readFileSync(`${mount}/ca.crt`, 'utf8');
const namespace = fs.readFileSync(`${mount}/namespace`, 'utf8');
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
const get = (path) =>
  new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${fs.readFileSync(`${mount}/token`, 'utf8').trim()}`, accept: 'application/json' };
    const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end();
  });
const key = new Promise((resolve, reject) =>
  crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey) => (error ? reject(error) : resolve(publicKey))));
new crypto.X509Certificate(ca);
for (let call = 0; call < 14; call++) await get(`/api/v1/namespaces/${namespace}/secrets`);
await key;
process.exit(0);
