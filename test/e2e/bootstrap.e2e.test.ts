// The whole bootstrap on the real control plane (global setup starts it): apply dist/dev, let the
// real Job controller run the cert-issuer bundle on the simulated node, then prove what Flux
// needs: the certificate, the pod proxy over mTLS from Node, curl, helm and source-controller,
// least privilege, an idempotent re-run and the refusal of a forged CSR.
//
// The tests run in order and build on each other, as the bootstrap does: the first applies
// dist/dev, the second waits for the Job, the rest use the Secret it wrote. 1 to 9 are the checks
// issue 4 lists; 10 proves the manual flow that issue 6 compares the Job with.
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalPem } from '../cert-issuer/forged-csrs.ts';
import { assets, node } from '../plane/env.ts';
import { chartName, chartVersion } from '../plane/helm-repos.ts';
import { installWebhook } from '../plane/webhook.ts';
import {
  auditEventsSince, bootstrapOnly, clientCert, condition, e2eContext, issuerEvents, jobDiagnostics as diagnostics, jobEnd, jobPods, kubectlRef, mtlsGet,
  repoRoot, run, waitReady, writesAmong,
} from '../plane/testkit.ts';

const { state, dist, admin, kubeEnv, kubectl, issuerNs, secretPath, recreateJob } = e2eContext();
const jobName = dist.job.metadata.name as string;
const clientAuthEku = '1.3.6.1.5.5.7.3.2';

const readerSecret = () => admin.get(secretPath(issuerNs));
const repoName = (repo: any) => (repo.spec.url as string).split('/').pop()!;

const jobDiagnostics = () => diagnostics(admin, state, issuerNs, jobName);
const runJobToEnd = () => jobEnd(admin, state, issuerNs, jobName);

afterAll(() => admin.close());

test("0. kubectl apply -f of the folder (a server-side dry run here) exits 1 on its kustomization.yaml, as the README warns", async () => {
  const res = await kubectl('apply', '-f', `${dist.dir}/`, '--dry-run=server');
  expect(res.code).toBe(1);
  expect(res.stderr).toContain('kustomization.yaml');
});

test('1. kubectl apply --server-side of dist/dev (without its GitOps objects) is accepted in full', async () => {
  const res = await kubectl('apply', '--server-side', '--field-manager=flux-assets-bootstrap-e2e', '-k', dist.dir, ...bootstrapOnly, '-o', 'name');
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  const applied = res.stdout.trim().split('\n').sort();
  expect(applied).toHaveLength(dist.objects.length);
  // Each synthesized object exists on the server as its file declares it.
  for (const { obj } of dist.objects) {
    const got = await kubectl('get', ...kubectlRef(obj), '-o', 'jsonpath={.metadata.uid}');
    expect({ object: `${obj.kind}/${obj.metadata.name}`, code: got.code, stderr: got.stderr }).toEqual({
      object: `${obj.kind}/${obj.metadata.name}`, code: 0, stderr: '',
    });
  }
});

test('2. the Job completes and its Secret is in every HelmRepository namespace, signed by the cluster signer', async () => {
  const job = await runJobToEnd();
  if (condition(job, 'Complete')?.status !== 'True') throw new Error(`Job failed: ${JSON.stringify(job.status)}\n${await jobDiagnostics()}`);
  expect(condition(job, 'Complete').status).toBe('True');
  // On the first attempt: a crash the Job controller papers over with a retry is still a bug.
  const pods = await jobPods(admin, issuerNs, jobName);
  if (pods.length !== 1) throw new Error(`expected one pod, got ${pods.length}:\n${await jobDiagnostics()}`);
  expect(pods[0].spec.nodeName).toBe(node.name);
  expect(pods[0].status.containerStatuses[0].state.terminated.exitCode).toBe(0);

  const ca = new X509Certificate(readFileSync(state.caCert));
  const copies = [];
  for (const ns of dist.namespaces) {
    const secret = await admin.get(secretPath(ns));
    expect(secret.type).toBe('kubernetes.io/tls');
    const cert = clientCert(secret);
    rmSync(cert.dir, { recursive: true });
    expect(cert.x509.subject).toBe(`CN=${dist.commonName}`);
    expect(cert.x509.keyUsage).toContain(clientAuthEku);
    expect(cert.x509.checkIssued(ca)).toBe(true);
    expect(cert.x509.verify(ca.publicKey)).toBe(true);
    expect(cert.x509.checkPrivateKey(cert.key)).toBe(true);
    // ca.crt is the CA that verifies the apiserver, i.e. the plane's cluster CA.
    expect(new X509Certificate(cert.tls.ca).fingerprint256).toBe(ca.fingerprint256);
    // The annotations say what the certificate is and where it came from: this Job, and the CSR
    // the audit log saw it create.
    const annotations = secret.metadata.annotations;
    expect(annotations['flux-assets-bootstrap.io/not-after']).toBe(cert.x509.validToDate.toISOString().replace('.000Z', 'Z'));
    expect(new Date(annotations['flux-assets-bootstrap.io/renew-after']).getTime()).toBeLessThan(cert.x509.validToDate.getTime());
    expect(annotations['flux-assets-bootstrap.io/issued-by']).toBe(jobName);
    const createdCsrs = auditEventsSince(state.auditLog, 0)
      .filter((e) => e.verb === 'create' && e.objectRef?.resource === 'certificatesigningrequests' && e.responseStatus?.code === 201)
      .map((e) => e.objectRef.name);
    expect(createdCsrs).toContain(annotations['flux-assets-bootstrap.io/csr']);
    copies.push({ data: secret.data, annotations });
  }
  for (const copy of copies) expect(copy).toEqual(copies[0]);
  // And the Job's Events say it issued: one Normal Event with the certificate's dates.
  const events = await issuerEvents(admin, issuerNs, jobName);
  expect(events).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Issued', action: 'Issue' })]);
  const { 'flux-assets-bootstrap.io/not-after': notAfter, 'flux-assets-bootstrap.io/renew-after': renewAfter } = copies[0]!.annotations;
  const [said, written] = events[0].note.split(', in ');
  expect(said).toBe(`issued a certificate for CN=${dist.commonName}, valid until ${notAfter}, renews after ${renewAfter}`);
  expect(written.split(', ').sort()).toEqual([...dist.namespaces].sort());
  // Where the README sends an operator for them.
  expect((await kubectl('-n', issuerNs, 'get', 'events')).stdout).toMatch(new RegExp(`\\sNormal\\s+Issued\\s+job/${jobName}\\s+issued a certificate for CN=`));
});

test('3. an mTLS GET of every repository index through the pod proxy succeeds, from Node and from curl', async () => {
  const cert = clientCert(await readerSecret());
  try {
    for (const repo of dist.helmRepositories) {
      const url = `${repo.spec.url}/index.yaml`;
      const fromNode = await mtlsGet(url, cert.tls);
      expect({ url, status: fromNode.status }).toEqual({ url, status: 200 });
      expect(fromNode.body).toContain(`${chartName(repoName(repo))}:`);
      // Relative chart URLs (helm repo index without --url) keep Flux under the proxy path.
      expect(fromNode.body).toContain(`- ${chartName(repoName(repo))}-${chartVersion}.tgz`);

      const { files } = cert;
      const fromCurl = await run('curl', ['-sS', '--fail', '--max-time', '10', '--cert', files.cert, '--key', files.key, '--cacert', files.ca, url]);
      expect({ url, code: fromCurl.code, stderr: fromCurl.stderr }).toEqual({ url, code: 0, stderr: '' });
      expect(fromCurl.stdout).toBe(fromNode.body);
    }
  } finally {
    rmSync(cert.dir, { recursive: true });
  }
});

test('4. the same identity gets 403 on another pod\'s proxy, on pods and on Secrets', async () => {
  const { tls, dir } = clientCert(await readerSecret());
  rmSync(dir, { recursive: true }); // only the in-memory copy is needed here
  const [jobPod] = await jobPods(admin, issuerNs, jobName);
  const api = state.apiServer;
  const forbidden = [
    `${api}/api/v1/namespaces/${issuerNs}/pods/${jobPod.metadata.name}/proxy/`, // another pod
    `${api}/api/v1/namespaces/${assets.namespace}/pods/${assets.statefulSet}-1/proxy/repos/system/index.yaml`,
    `${api}/api/v1/namespaces/default/pods/${assets.pod}/proxy/repos/system/index.yaml`, // same name, other namespace
    `${api}/api/v1/namespaces/${assets.namespace}/pods/${assets.pod}`, // the pod itself, not its proxy
    `${api}/api/v1/namespaces/${assets.namespace}/pods`,
    `${api}/api/v1/pods`,
    `${api}/api/v1/namespaces/${issuerNs}/secrets/${dist.secretName}`,
    `${api}/api/v1/namespaces/${issuerNs}/secrets`,
    `${api}/api/v1/secrets`,
  ];
  const statuses = await Promise.all(forbidden.map(async (url) => ({ url, status: (await mtlsGet(url, tls)).status })));
  expect(statuses).toEqual(forbidden.map((url) => ({ url, status: 403 })));
  // The control: the one thing it may do still works with the same TLS options.
  expect((await mtlsGet(`${api}/api/v1/namespaces/${assets.namespace}/pods/${assets.pod}/proxy/repos/system/index.yaml`, tls)).status).toBe(200);
});

test('5. helm repo add and helm pull through the proxy with the certificate succeed', async () => {
  const cert = clientCert(await readerSecret());
  const home = mkdtempSync(join(tmpdir(), 'fab-e2e-helm-'));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  try {
    for (const repo of dist.helmRepositories) {
      const name = repoName(repo);
      const tls = ['--cert-file', cert.files.cert, '--key-file', cert.files.key, '--ca-file', cert.files.ca];
      const add = await run(state.helm, ['repo', 'add', name, repo.spec.url, ...tls], { env });
      expect({ name, code: add.code, stderr: add.stderr }).toEqual({ name, code: 0, stderr: '' });
      const pull = await run(state.helm, ['pull', `${name}/${chartName(name)}`, '--version', chartVersion, '--destination', home], { env });
      expect({ name, code: pull.code, stderr: pull.stderr }).toEqual({ name, code: 0, stderr: '' });
      // The pulled chart is byte for byte the one the assets server holds.
      const pulled = readFileSync(join(home, `${chartName(name)}-${chartVersion}.tgz`));
      const served = readFileSync(join(state.stateDir, 'assets-root/repos', name, `${chartName(name)}-${chartVersion}.tgz`));
      expect(pulled.equals(served)).toBe(true);
    }
  } finally {
    rmSync(home, { recursive: true });
    rmSync(cert.dir, { recursive: true });
  }
});

test('6. source-controller brings every HelmRepository to Ready, and a HelmChart to Ready with an artifact', async () => {
  for (const repo of dist.helmRepositories) {
    const path = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${repo.metadata.namespace}/helmrepositories/${repo.metadata.name}`;
    const ready = await waitReady(admin, `HelmRepository ${repo.metadata.namespace}/${repo.metadata.name} Ready`, path);
    expect(ready.status.artifact.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }

  const repo = dist.helmRepositories[0];
  const ns = repo.metadata.namespace;
  const name = repoName(repo);
  await admin.call('POST', `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/helmcharts`, {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: { name: 'fab-e2e-chart' },
    spec: { chart: chartName(name), version: '*', interval: '5m', sourceRef: { kind: 'HelmRepository', name: repo.metadata.name } },
  });
  const chart = await waitReady(admin, 'HelmChart Ready', `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/helmcharts/fab-e2e-chart`);
  expect(chart.status).toMatchObject({ artifact: { revision: chartVersion } }); // the whole status if not
  // The artifact is the chart the assets server served through the proxy, byte for byte.
  const served = readFileSync(join(state.stateDir, 'assets-root/repos', name, `${chartName(name)}-${chartVersion}.tgz`));
  expect(chart.status.artifact.digest).toBe(`sha256:${createHash('sha256').update(served).digest('hex')}`);
  const stored = readFileSync(join(state.sourceControllerStorage, chart.status.artifact.path));
  expect(stored.equals(served)).toBe(true);
  // And the assets server saw that download arrive through the apiserver's pod proxy.
  expect(readFileSync(join(state.stateDir, 'logs/assets-server.log'), 'utf8')).toContain(`GET /repos/${name}/${chartName(name)}-${chartVersion}.tgz 200`);
});

test('7. running the Job a second time is a no-op and writes nothing', async () => {
  const versions = async () => Promise.all(dist.namespaces.map(async (ns) => (await admin.get(secretPath(ns))).metadata.resourceVersion));
  const csrNames = async () => (await admin.get('/apis/certificates.k8s.io/v1/certificatesigningrequests')).items.map((c: any) => c.metadata.name).sort();
  const before = { versions: await versions(), csrs: await csrNames() };
  const auditFrom = statSync(state.auditLog).size;

  // What Flux does after ttlSecondsAfterFinished removed the Job: re-create it from the manifest.
  await recreateJob('flux-assets-bootstrap-e2e');
  const job = await runJobToEnd();
  if (condition(job, 'Complete')?.status !== 'True') throw new Error(`Job failed: ${JSON.stringify(job.status)}\n${await jobDiagnostics()}`);

  expect(await versions()).toEqual(before.versions);
  expect(await csrNames()).toEqual(before.csrs);
  const events = auditEventsSince(state.auditLog, auditFrom);
  const byIssuer = events.filter((e) => e.user.username === dist.issuer);
  // It did run (and was audited) ...
  expect(byIssuer.length).toBeGreaterThan(0);
  // ... and only read.
  expect(writesAmong(byIssuer)).toEqual([]);
  // Nobody else wrote the Secrets or a CSR in the meantime either.
  expect(writesAmong(events.filter((e) => e.user.username !== dist.issuer))).toEqual([]);
});

test('8. the issuer ServiceAccount has exactly the least-privilege rights', async () => {
  const [system, pub] = dist.namespaces as [string, string];
  const secret = `secrets/${dist.secretName}`;
  const allowed: string[][] = [
    ['create', 'certificatesigningrequests.certificates.k8s.io'],
    ['get', 'certificatesigningrequests.certificates.k8s.io'],
    ['list', 'certificatesigningrequests.certificates.k8s.io'],
    ['watch', 'certificatesigningrequests.certificates.k8s.io'],
    ['delete', 'certificatesigningrequests.certificates.k8s.io'],
    ['update', 'certificatesigningrequests.certificates.k8s.io', '--subresource=approval'],
    ['create', 'selfsubjectreviews.authentication.k8s.io'],
    ...[system, pub].flatMap((ns) => [
      ['get', secret, `-n=${ns}`],
      ['update', secret, `-n=${ns}`],
      ['create', 'secrets', `-n=${ns}`],
    ]),
    ...dist.helmRepositories.map((r) => ['patch', `helmrepositories.source.toolkit.fluxcd.io/${r.metadata.name}`, `-n=${r.metadata.namespace}`]),
    ['create', 'events.events.k8s.io', `-n=${issuerNs}`], // what its Events policy judges
  ];
  const denied: string[][] = [
    ['create', 'events.events.k8s.io', `-n=${dist.namespaces.find((ns) => ns !== issuerNs)}`],
    ['create', 'events', `-n=${issuerNs}`], // the core API's Events: its RBAC grants only events.k8s.io
    ['update', 'events.events.k8s.io', `-n=${issuerNs}`],
    ['list', 'events.events.k8s.io', `-n=${issuerNs}`],
    ['list', 'secrets', `-n=${system}`], // no reading other Secrets by listing
    ['watch', 'secrets', `-n=${system}`],
    ['get', 'secrets/some-other-secret', `-n=${system}`],
    ['delete', secret, `-n=${system}`],
    ['patch', secret, `-n=${system}`], // the Job replaces its Secret; the policy judges every write
    ['get', `helmrepositories.source.toolkit.fluxcd.io/${repoName(dist.helmRepositories[0])}`, `-n=${dist.helmRepositories[0].metadata.namespace}`],
    ['get', secret, '-n=default'],
    ['create', 'secrets', '-n=kube-system'],
    ['get', 'configmaps', `-n=${system}`],
    ['update', 'certificatesigningrequests.certificates.k8s.io', '--subresource=status'], // cannot sign itself
    ['get', 'pods', `-n=${system}`],
    ['create', 'pods', `-n=${system}`],
    ['get', 'pods/proxy', `-n=${system}`],
    ['list', 'helmrepositories.source.toolkit.fluxcd.io', `-n=${system}`],
    ['patch', 'helmrepositories.source.toolkit.fluxcd.io/other', `-n=${system}`],
    ['get', `helmrepositories.source.toolkit.fluxcd.io/${repoName(dist.helmRepositories.find((r) => r.metadata.namespace === pub))}`, `-n=${system}`],
    ['create', 'rolebindings.rbac.authorization.k8s.io', `-n=${system}`],
    ['impersonate', 'users'],
    ['create', 'serviceaccounts/token', `-n=${system}`],
  ];
  const canI = async (args: string[]) => {
    const res = await kubectl('auth', 'can-i', ...args, `--as=${dist.issuer}`);
    if (res.code > 1) throw new Error(`kubectl auth can-i ${args.join(' ')}: ${res.stderr}`);
    return { check: args.join(' '), answer: res.stdout.trim() };
  };
  expect(await Promise.all(allowed.map(canI))).toEqual(allowed.map((a) => ({ check: a.join(' '), answer: 'yes' })));
  expect(await Promise.all(denied.map(canI))).toEqual(denied.map((a) => ({ check: a.join(' '), answer: 'no' })));

  // Signers are not in discovery, so `kubectl auth can-i approve signers.certificates.k8s.io/x`
  // loses the API group. Ask the authorizer what the CSR approval plugin asks it: verb approve on
  // signers with the signer's name, or with its domain wildcard.
  const mayApprove = async (name: string) => {
    const review = await admin.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: dist.issuer,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${issuerNs}`, 'system:authenticated'],
        resourceAttributes: { group: 'certificates.k8s.io', resource: 'signers', verb: 'approve', name },
      },
    });
    return { signer: name, allowed: review.status.allowed as boolean };
  };
  const signers = {
    'kubernetes.io/kube-apiserver-client': true,
    'kubernetes.io/*': false,
    'kubernetes.io/kubelet-serving': false,
    'kubernetes.io/kube-apiserver-client-kubelet': false,
    'example.com/other': false,
  };
  expect(await Promise.all(Object.keys(signers).map(mayApprove))).toEqual(Object.entries(signers).map(([signer, allowed]) => ({ signer, allowed })));
});

test('9. a CSR whose key differs from the issuer\'s own is refused by the issuer, not approved', async () => {
  // A man in the middle: a mutating admission webhook swaps the issuer's CSR for one of its own
  // after the issuer submitted it, with the same subject and encoding, so the API server's CSR
  // policy admits it (another subject it refuses: issuer-token.e2e.test.ts) but with the man's
  // key. The issuer must check the CSR as stored before it approves, see the mismatch, refuse
  // (exit 7), and podFailurePolicy fails the Job at once.
  const forgedRequest = Buffer.from(canonicalPem({ commonName: dist.commonName, organization: undefined }, dist.issuerArgs.keyBits)).toString('base64');
  const forger = await installWebhook(admin, state, {
    name: 'fab-e2e-csr-forger',
    kind: 'Mutating',
    rule: { apiGroups: ['certificates.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['certificatesigningrequests'] },
    // Only the issuer's CSRs (contract label), so nothing else in the plane is touched.
    labels: { 'flux-assets-bootstrap.io/secret': dist.secretName },
    answer: () => ({ allowed: true, patch: [{ op: 'replace', path: '/spec/request', value: forgedRequest }] }),
  });
  const forged = () => forger.requests.map((r) => r.object.metadata.name as string);
  try {
    // With no valid copy anywhere the issuer must issue anew (one valid copy would just be copied).
    for (const ns of dist.namespaces) await admin.call('DELETE', secretPath(ns));
    const auditFrom = statSync(state.auditLog).size;
    await recreateJob('flux-assets-bootstrap-e2e');
    const job = await runJobToEnd();

    expect(forged().length).toBeGreaterThan(0); // the forgery did happen
    expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'PodFailurePolicy' }); // no retries
    const [pod] = await jobPods(admin, issuerNs, jobName);
    expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(7);
    // Not approved: no approval request from the issuer, and no forged CSR carries Approved.
    const events = auditEventsSince(state.auditLog, auditFrom).filter((e) => e.user.username === dist.issuer);
    expect(events.filter((e) => e.objectRef?.subresource === 'approval').map((e) => e.requestURI)).toEqual([]);
    const csrs = (await admin.get('/apis/certificates.k8s.io/v1/certificatesigningrequests')).items.filter((c: any) => forged().includes(c.metadata.name));
    for (const csr of csrs) expect(condition(csr, 'Approved')).toBeUndefined();
    expect(await admin.find(secretPath(issuerNs))).toBeUndefined();
  } finally {
    await forger.remove();
  }

  // Leave the bootstrap healthy again: with the man in the middle gone, a re-run issues.
  await recreateJob('flux-assets-bootstrap-e2e');
  expect(condition(await runJobToEnd(), 'Complete')?.status).toBe('True');
  expect(await admin.find(secretPath(issuerNs))).toBeDefined();
});

test('10. the published manual flow succeeds against this plane and its certificate reads the assets', async () => {
  const secretName = 'fab-e2e-manual-flow-tls';
  const res = await run(join(repoRoot, 'test/manual-flow/issue-cert.sh'), [`--secret-name=${secretName}`, `--namespaces=${dist.namespaces.join(',')}`], {
    env: { ...kubeEnv, KUBECTL: state.kubectl },
  });
  expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
  try {
    for (const ns of dist.namespaces) {
      const cert = clientCert(await admin.get(secretPath(ns, secretName)));
      rmSync(cert.dir, { recursive: true });
      expect(cert.x509.subject).toBe(`CN=${dist.commonName}`);
      const got = await mtlsGet(`${dist.helmRepositories[0].spec.url}/index.yaml`, cert.tls);
      expect(got.status).toBe(200);
    }
  } finally {
    for (const ns of dist.namespaces) await admin.raw('DELETE', secretPath(ns, secretName));
  }
});
