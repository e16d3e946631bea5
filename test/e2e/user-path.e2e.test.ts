// The whole user path with real Flux: the user keeps clusters/dev.yaml and the synthesized dist/
// in a Git repository, applies the two sync objects once, and from then on only commits. The
// flux-aio pod of the plane (source-, kustomize- and helm-controller) reads the repository from
// the plane's git smart-HTTP server, applies dist/dev, runs the issuer's Job, and installs charts
// from the assets server through the pod proxy with the issued certificate.
//
// Runs last (test/e2e/sequencer.cjs sorts by name): it first removes whatever the suites before it
// applied with kubectl, so that everything here is applied by kustomize-controller from Git. The
// tests build on each other, as a user's commits do.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { clientCert as signClientCert, rsaKey } from '../cert-issuer/pki.ts';
import { restartComponent } from '../plane/components.ts';
import { fluxNamespace } from '../plane/flux-aio.ts';
import { chartMessage, chartName, chartVersion, publishChart } from '../plane/helm-repos.ts';
import { sleep, waitFor } from '../plane/proc.ts';
import {
  auditEventsSince, clientCert, condition, deleteJob, type Dist, e2eContext, jobEnd, jobPods, loadDist, readPlaneCa, repoRoot, run, waitReady,
} from '../plane/testkit.ts';

const { state, dist: committedDist, admin, kubectl } = e2eContext();
const day = 86_400_000;

const syncName = 'flux-assets-bootstrap';
const gitRepositoryPath = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${fluxNamespace}/gitrepositories/${syncName}`;
const kustomizationPath = `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${fluxNamespace}/kustomizations/${syncName}`;
const helmRepositoryPath = (r: any) => `/apis/source.toolkit.fluxcd.io/v1/namespaces/${r.metadata.namespace}/helmrepositories/${r.metadata.name}`;
const helmReleasePath = (r: { namespace: string; name: string }) => `/apis/helm.toolkit.fluxcd.io/v2/namespaces/${r.namespace}/helmreleases/${r.name}`;
const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;

// ---- the user's repository ------------------------------------------------------------------

/** The user's working copy: clusters/dev.yaml and dist/dev, pushed to the plane's Git server. */
const work = mkdtempSync(join(tmpdir(), 'fab-e2e-user-'));
const remote = `${state.git.url}/fleet.git`;
const git = async (...args: string[]): Promise<string> => {
  const res = await run('git', ['-C', work, '-c', 'user.name=Fleet User', '-c', 'user.email=user@fleet.test', ...args]);
  if (res.code !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
  return res.stdout.trim();
};

/**
 * The dev config as the user keeps it: the example's, pointed at this plane's Git server, and
 * fetching Git every 10 s. The HelmRepositories keep their default 5m interval: what a user runs,
 * and it matters for renewal (test 3); where the tests need a fetch sooner, they ask for it.
 */
function userConfig(): any {
  const config = parse(readFileSync(join(repoRoot, 'clusters/dev.yaml'), 'utf8'));
  config.flux = { ...config.flux, url: remote, interval: '10s' };
  config.releases[0].values = { message: 'values from clusters/dev.yaml' };
  return config;
}

let config = userConfig();

/** Writes the config, synthesizes dist/ with the real CLI, commits everything and pushes; returns the commit. */
async function commitConfig(message: string): Promise<string> {
  writeFileSync(join(work, 'clusters/dev.yaml'), stringify(config));
  const synth = await run(process.execPath, [join(repoRoot, 'src/cli/cli.mjs'), '--clusters', join(work, 'clusters'), '--out', join(work, 'dist')]);
  if (synth.code !== 0) throw new Error(`synth: ${synth.stderr}`);
  await git('add', '-A');
  await git('commit', '-q', '-m', message);
  return push();
}

/**
 * Pushes, then does what a push webhook (a notification-controller Receiver) does: asks for a
 * reconcile of the GitRepository, once it exists, instead of waiting for its interval.
 */
async function push(): Promise<string> {
  await git('push', '-q', remote, 'HEAD:main');
  if (await admin.find(gitRepositoryPath)) await requestReconcile(gitRepositoryPath);
  return git('rev-parse', 'HEAD');
}

const userDist = (): Dist => loadDist('dev', join(work, 'dist'));

/** `flux-assets-bootstrap status` on the user's config, with the real bin and the admin kubeconfig: its exit code and report. */
async function status(...args: string[]): Promise<{ code: number; stdout: string; report: any }> {
  const res = await run(process.execPath, [join(repoRoot, 'src/cli/cli.mjs'), 'status', '--clusters', join(work, 'clusters'), '--kubeconfig', state.kubeconfigs.admin, ...args]);
  if (res.stderr !== '') throw new Error(`status: ${res.stderr}`);
  return { code: res.code, stdout: res.stdout, report: args.includes('json') ? JSON.parse(res.stdout)[0] : undefined };
}
const levelsOf = (report: any) => Object.fromEntries(report.items.map((item: any) => [item.what, item.level]));

// ---- Flux's objects ---------------------------------------------------------------------------

async function requestReconcile(path: string): Promise<string> {
  const at = new Date().toISOString();
  await admin.mergePatch(path, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': at } } });
  return at;
}

/**
 * Waits until kustomize-controller applied `commit` and its health checks passed; on a timeout,
 * says what each health-checked object's status was.
 */
const waitApplied = (commit: string, timeoutMs?: number) =>
  waitReady(admin, `Kustomization to apply ${commit}`, kustomizationPath, (k) => k.status.lastAppliedRevision === `main@sha1:${commit}`, timeoutMs).catch(async (err: Error) => {
    const checks = (await admin.get(kustomizationPath)).spec.healthChecks ?? [];
    const statuses = await Promise.all(checks.map(async (c: any) => {
      const live = await admin.find(objectPath(c));
      return `${c.kind} ${c.namespace}/${c.name}: ${live ? JSON.stringify(live.status ?? 'no status') : 'missing'}`;
    }));
    throw new Error(`${err.message}\n${statuses.join('\n')}`);
  });

/** Every HelmRepository of `d` Ready, with an artifact. */
async function repositoriesReady(d: Dist): Promise<void> {
  for (const repo of d.helmRepositories) {
    const ready = await waitReady(admin, `HelmRepository ${repo.metadata.namespace}/${repo.metadata.name} Ready`, helmRepositoryPath(repo));
    expect(ready.status.artifact.digest).toMatch(/^sha256:/);
  }
}

/** The release is Ready and its ConfigMap (the chart's one object) exists; returns the ConfigMap. */
async function releaseInstalled(release: { namespace: string; name: string }, version = chartVersion): Promise<any> {
  await waitReady(admin, `HelmRelease ${release.namespace}/${release.name} Ready at ${version}`, helmReleasePath(release), (hr) =>
    hr.status.history?.[0]?.chartVersion === version && hr.status.history[0].status === 'deployed');
  return admin.get(`/api/v1/namespaces/${release.namespace}/configmaps/${release.name}`);
}

/**
 * The reader's GETs through the pod proxy since byte `from` of the audit log, successful ones only
 * unless `anyStatus`: when, the path after /proxy, and the certificate's fingerprint.
 */
function proxyFetchesSince(from: number, anyStatus = false): { at: string; path: string; credential: string }[] {
  return auditEventsSince(state.auditLog, from)
    .filter((e) => e.stage === 'ResponseComplete' && e.user.username === config.certificate.commonName && e.objectRef?.subresource === 'proxy')
    .filter((e) => anyStatus || e.responseStatus?.code === 200)
    .map((e) => ({ at: e.stageTimestamp, path: e.requestURI.split('/proxy')[1], credential: e.user.extra?.['authentication.kubernetes.io/credential-id']?.[0] }));
}

/**
 * Waits until source-controller holds no open connection to the endpoint: its HTTP transports
 * (fluxcd/pkg/http/transport) close a connection after 60 s without a request, and until then a
 * fetch reuses it, with the certificate of its TLS handshake, whatever the Secret holds now. With
 * the default 5m interval that is how the next fetch finds it; the test waits for it instead.
 */
async function waitForIdleConnections(): Promise<void> {
  const idleCloseMs = 60_000;
  const last = proxyFetchesSince(0, true).at(-1);
  const lastAt = last ? new Date(last.at).getTime() : 0;
  const wait = lastAt + idleCloseMs + 2_000 - Date.now();
  if (wait > 0) await sleep(wait);
  expect(proxyFetchesSince(0, true).at(-1)?.at).toBe(last?.at); // nothing fetched in between
}

/** How the API server names an x509 credential in user.extra: its SHA-256 fingerprint. */
const credentialId = (pem: string | Buffer) => `X509SHA256=${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`;

// ---- setup ----------------------------------------------------------------------------------

beforeAll(async () => {
  // What the suites before left (dist/dev applied by kubectl, a Secret everywhere) goes, with its
  // namespaces, so that Flux starts from nothing but itself, as on a new cluster. The namespace
  // controller looks again only after the longest grace period of the pods it deletes (30 s for
  // the assets pod), so their pods go at once, once the namespaces no longer take new ones.
  const deleting = await kubectl('delete', '-k', committedDist.dir, '--ignore-not-found', '--wait=false');
  if (deleting.code !== 0) throw new Error(`delete dist/dev: ${deleting.stderr}`);
  const namespaces = committedDist.objects.filter((o) => o.obj.kind === 'Namespace').map((o) => o.obj.metadata.name as string);
  for (const ns of namespaces) {
    const pods = await kubectl('delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--ignore-not-found');
    if (pods.code !== 0) throw new Error(`delete the pods in ${ns}: ${pods.stderr}`);
  }
  const gone = await kubectl('wait', '--for=delete', '--timeout=180s', ...namespaces.map((ns) => `namespace/${ns}`));
  if (gone.code !== 0 && !/not found/.test(gone.stderr)) throw new Error(`namespaces ${namespaces.join(', ')} not deleted: ${gone.stderr}`);
  // A new cluster's source-controller has no connection open to the API. This one's, from the
  // suites before, would still carry their certificate for up to 60 s idle (see
  // waitForIdleConnections), and a fetch of test 1 would go out with it.
  await restartComponent('source-controller');

  const bare = join(state.git.root, 'fleet.git');
  for (const args of [['init', '-q', '--bare', '--initial-branch=main', bare], ['-C', bare, 'config', 'http.receivepack', 'true']]) {
    const res = await run('git', args);
    if (res.code !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
  }
  mkdirSync(join(work, 'clusters'), { recursive: true });
  await git('init', '-q', '--initial-branch=main');
}, 240_000);

afterAll(() => {
  admin.close();
  rmSync(work, { recursive: true, force: true });
});

// ---- the scenarios ------------------------------------------------------------------------------

test('1. GIVEN dist/dev committed and pushed WHEN only its sync objects are applied THEN Flux applies the rest: the Job issues, every HelmRepository is Ready and the release is installed from the assets server', async () => {
  const auditFrom = statSync(state.auditLog).size;
  const commit = await commitConfig('dev: bootstrap with flux-assets-bootstrap');
  const d = userDist();
  const sync = d.gitops.filter((o) => o.obj.metadata.labels['app.kubernetes.io/component'] === 'flux-sync');
  expect(sync.map((o) => o.obj.kind).sort()).toEqual(['GitRepository', 'Kustomization']);

  // The one manual step of the user path.
  const applied = await kubectl('apply', '--server-side', ...sync.flatMap((o) => ['-f', o.file]));
  expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });

  await waitApplied(commit, 240_000);
  const job = await jobEnd(admin, state, d.job.metadata.namespace, d.job.metadata.name);
  expect(condition(job, 'Complete')?.status).toBe('True');
  const pods = await jobPods(admin, d.job.metadata.namespace, d.job.metadata.name);
  expect(pods.map((p) => p.status.containerStatuses[0].state.terminated.exitCode)).toEqual([0]);
  // Everything in the folder was applied by kustomize-controller, the sync objects too.
  for (const { obj } of [...d.objects, ...d.gitops]) {
    const live = await admin.get(objectPath({ ...obj, ...obj.metadata }));
    expect({ object: `${obj.kind}/${obj.metadata.name}`, labels: live.metadata.labels }).toMatchObject({
      object: `${obj.kind}/${obj.metadata.name}`, labels: { 'kustomize.toolkit.fluxcd.io/name': syncName },
    });
  }
  for (const ns of d.namespaces) expect((await admin.get(secretPath(ns, d.secretName))).type).toBe('kubernetes.io/tls');
  await repositoriesReady(d);

  const [release] = config.releases;
  const configMap = await releaseInstalled(release);
  expect(configMap.data).toEqual({ message: 'values from clusters/dev.yaml', chart: `${release.chart}-${chartVersion}` });
  // The chart came from the assets server through the pod proxy, with the issued certificate.
  const secret = await admin.get(secretPath(d.namespaces[0]!, d.secretName));
  expect(proxyFetchesSince(auditFrom)).toContainEqual(expect.objectContaining({
    path: `/repos/${release.repository}/${release.chart}-${chartVersion}.tgz`,
    credential: credentialId(Buffer.from(secret.data['tls.crt'], 'base64')),
  }));

  // status reads the fresh bootstrap as ok: each certificate's dates as the Secret holds them, the
  // Job's success, every source Ready and the commit the sync applied.
  const fresh = await status('-o', 'json');
  expect({ code: fresh.code, level: fresh.report.level }).toEqual({ code: 0, level: 'ok' });
  const notAfter = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64')).validToDate.toISOString();
  for (const ns of d.namespaces) expect(fresh.report.items).toContainEqual(expect.objectContaining({ what: `certificate ${ns}/${d.secretName}`, level: 'ok', notAfter }));
  expect(fresh.report.items).toContainEqual({ what: `last issuer run ${d.job.metadata.name}`, level: 'ok', detail: expect.stringMatching(/^succeeded at /) });
  expect(fresh.report.items).toContainEqual({ what: `Kustomization ${fluxNamespace}/${syncName}`, level: 'ok', detail: `Ready; applied main@sha1:${commit}` });
  expect(Object.keys(levelsOf(fresh.report)).filter((what) => what.startsWith('HelmRepository '))).toHaveLength(d.helmRepositories.length);
  // The same for people: a header, then a line per item.
  const table = await status();
  expect(table.code).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^LEVEL\s+CLUSTER\s+WHAT\s+DETAIL$/);
  expect(table.stdout).toMatch(new RegExp(`^OK\\s+dev\\s+Kustomization ${fluxNamespace}/${syncName}\\s+Ready; applied main@sha1:${commit}$`, 'm'));
});

test('2. GIVEN a repository in a new namespace and a second release WHEN the user synthesizes, commits and pushes THEN Flux applies it: the new namespace gets the Secret, the release installs and the old Job is pruned without an immutable-field error', async () => {
  const before = userDist();
  // The new assets image serves a new repository.
  await publishChart(state.helm, state.stateDir, 'addons');
  config.repositories.push({ name: 'addons', namespace: 'cozy-addons' });
  const first = config.releases[0];
  config.releases.push({ name: 'addon', namespace: 'cozy-addons', repository: 'addons', chart: chartName('addons'), dependsOn: [first.name] });
  const commit = await commitConfig('dev: the addons repository and its first release');
  const after = userDist();
  expect(after.job.metadata.name).not.toBe(before.job.metadata.name);

  await waitApplied(commit, 240_000);
  expect(await admin.find(`/apis/batch/v1/namespaces/${before.job.metadata.namespace}/jobs/${before.job.metadata.name}`)).toBeUndefined();
  expect(condition(await admin.get(`/apis/batch/v1/namespaces/${after.job.metadata.namespace}/jobs/${after.job.metadata.name}`), 'Complete')?.status).toBe('True');
  const secrets = await Promise.all(after.namespaces.map((ns) => admin.get(secretPath(ns, after.secretName))));
  expect(after.namespaces).toContain('cozy-addons');
  // The new namespace's copy is the same certificate, and says so: the run and CSR that issued it.
  const origin = (secret: any) => [secret.metadata.annotations['flux-assets-bootstrap.io/issued-by'], secret.metadata.annotations['flux-assets-bootstrap.io/csr']];
  for (const secret of secrets) expect({ data: secret.data, origin: origin(secret) }).toEqual({ data: secrets[0].data, origin: origin(secrets[0]) });
  expect(origin(secrets[0])[0]).toBe(before.job.metadata.name);
  await repositoriesReady(after);
  expect((await releaseInstalled({ namespace: 'cozy-addons', name: 'addon' })).data.message).toBe(chartMessage);

  const kustomization = await admin.get(kustomizationPath);
  const events = await admin.get(`/api/v1/namespaces/${fluxNamespace}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${syncName}`)}`);
  const messages = [...kustomization.status.conditions, ...events.items].map((c: any) => c.message as string);
  expect(messages.filter((m) => /immutable/i.test(m))).toEqual([]);
});

test('3. GIVEN a certificate past its renewal deadline WHEN the renewal CronJob runs THEN the HelmRepositories stay Ready and the next chart fetch uses the new certificate', async () => {
  const d = userDist();
  const ns = d.job.metadata.namespace as string;
  // A certificate at 95% of its lifetime, as a year-old one looks: valid, but due.
  const planeCa = readPlaneCa(state);
  const key = rsaKey();
  const due = signClientCert(planeCa, key, { commonName: config.certificate.commonName, notBefore: new Date(Date.now() - 9.5 * day), notAfter: new Date(Date.now() + 0.5 * day) });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (const secretNs of d.namespaces) {
    await admin.call('PUT', secretPath(secretNs, d.secretName), {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name: d.secretName, namespace: secretNs },
      data: { 'tls.crt': b64(due), 'tls.key': b64(key.privateKeyPem), 'ca.crt': b64(planeCa.certPem) },
    });
  }

  // Due and not yet renewed: a warning for every copy, and only for them.
  const overdue = await status('-o', 'json');
  expect({ code: overdue.code, level: overdue.report.level }).toEqual({ code: 1, level: 'warning' });
  expect(Object.entries(levelsOf(overdue.report)).filter(([, level]) => level !== 'ok').map(([what]) => what).sort()).toEqual(d.namespaces.map((n) => `certificate ${n}/${d.secretName}`).sort());

  await waitForIdleConnections();
  const auditFrom = statSync(state.auditLog).size;
  const created = await kubectl('create', 'job', '-n', ns, '--from=cronjob/cert-issuer-renewal', 'cert-issuer-renewal-e2e');
  expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
  expect(condition(await jobEnd(admin, state, ns, 'cert-issuer-renewal-e2e'), 'Complete')?.status).toBe('True');
  // Renewed: ok again, the renewal named as the last run.
  const renewedStatus = await status('-o', 'json');
  expect({ code: renewedStatus.code, level: renewedStatus.report.level }).toEqual({ code: 0, level: 'ok' });
  expect(levelsOf(renewedStatus.report)['last issuer run cert-issuer-renewal-e2e']).toBe('ok');
  const renewed = clientCert(await admin.get(secretPath(ns, d.secretName)));
  rmSync(renewed.dir, { recursive: true });
  expect(renewed.tls.cert.toString()).not.toBe(due);

  // The issuer asked each HelmRepository to reconcile; each did, with the new Secret, and is Ready.
  for (const repo of d.helmRepositories) {
    const requested = (await admin.get(helmRepositoryPath(repo))).metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    expect(requested).toBeDefined();
    await waitReady(admin, `HelmRepository ${repo.metadata.name} to handle the issuer's request`, helmRepositoryPath(repo), (r) => r.status.lastHandledReconcileAt === requested);
  }

  // The next chart: a new version on the assets server, found at the repository's next fetch,
  // downloaded and upgraded to.
  const [release] = config.releases;
  await publishChart(state.helm, state.stateDir, release.repository, '0.2.0');
  await requestReconcile(helmRepositoryPath(d.helmRepositories.find((r) => r.metadata.name === release.repository)));
  expect((await releaseInstalled(release, '0.2.0')).data.chart).toBe(`${release.chart}-0.2.0`);
  // Every fetch since the renewal, the index of each repository and the new chart, used the new certificate.
  const fetches = proxyFetchesSince(auditFrom);
  expect(fetches.map((f) => f.path)).toEqual(expect.arrayContaining([
    ...d.helmRepositories.map((r) => `/repos/${r.metadata.name}/index.yaml`),
    `/repos/${release.repository}/${release.chart}-0.2.0.tgz`,
  ]));
  expect(new Set(fetches.map((f) => f.credential))).toEqual(new Set([credentialId(renewed.tls.cert)]));
});

test('4. GIVEN a commit that removes the reader RoleBinding from dist/ THEN the HelmRepositories report failing fetches, and reverting the commit heals them with no manual step', async () => {
  const d = userDist();
  const binding = d.objects.find((o) => o.obj.kind === 'RoleBinding' && o.obj.roleRef.name.endsWith('-reader'))!;
  const bindingPath = `/apis/rbac.authorization.k8s.io/v1/namespaces/${binding.obj.metadata.namespace}/rolebindings/${binding.obj.metadata.name}`;
  const fileName = binding.file.split('/').pop()!;
  // A hand edit of dist/: the file and its line in kustomization.yaml go.
  rmSync(binding.file);
  const kustomizationFile = join(work, 'dist/dev/kustomization.yaml');
  writeFileSync(kustomizationFile, readFileSync(kustomizationFile, 'utf8').split('\n').filter((l) => !l.includes(fileName)).join('\n'));
  await git('add', '-A');
  await git('commit', '-q', '-m', 'dev: drop the reader binding (a mistake)');
  const bad = await push();

  await waitApplied(bad);
  expect(await admin.find(bindingPath)).toBeUndefined(); // pruned
  // Their next fetch: what each one's interval brings, asked for now.
  for (const repo of d.helmRepositories) await requestReconcile(helmRepositoryPath(repo));
  for (const repo of d.helmRepositories) {
    await waitFor(`HelmRepository ${repo.metadata.name} to report a failing fetch`, async () => {
      const r = await admin.get(helmRepositoryPath(repo));
      const ready = condition(r, 'Ready');
      return ready?.status === 'False' && /403|forbidden/i.test(ready.message) ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
  }
  // status: a warning on each failing source, with its reason.
  const failing = await status('-o', 'json');
  expect({ code: failing.code, level: failing.report.level }).toEqual({ code: 1, level: 'warning' });
  for (const repo of d.helmRepositories) {
    expect(failing.report.items).toContainEqual({ what: `HelmRepository ${repo.metadata.namespace}/${repo.metadata.name}`, level: 'warning', detail: expect.stringMatching(/^not Ready \(.*(403|forbidden)/i) });
  }

  await git('revert', '--no-edit', 'HEAD');
  const reverted = await push();
  await waitApplied(reverted);
  expect(await admin.find(bindingPath)).toBeDefined();
  // Healed by Flux's own retries: nothing here asks the HelmRepositories to reconcile.
  await repositoriesReady(d);
});

test('4b. GIVEN a Secret deleted by hand WHEN status reads the cluster THEN that copy is critical and so is the exit code, until the issuer runs again', async () => {
  const d = userDist();
  const ns = d.job.metadata.namespace as string;
  await admin.call('DELETE', secretPath(d.namespaces.at(-1)!, d.secretName));
  const broken = await status('-o', 'json');
  expect({ code: broken.code, level: broken.report.level }).toEqual({ code: 2, level: 'critical' });
  expect(broken.report.items).toContainEqual({ what: `certificate ${d.namespaces.at(-1)}/${d.secretName}`, level: 'critical', detail: expect.stringMatching(/^missing or incomplete; re-run the issuer/) });

  expect((await kubectl('create', 'job', '-n', ns, '--from=cronjob/cert-issuer-renewal', 'cert-issuer-now')).code).toBe(0);
  expect(condition(await jobEnd(admin, state, ns, 'cert-issuer-now'), 'Complete')?.status).toBe('True');
  // The sync's health check on that Secret may have failed meanwhile; its next run (10 s) heals it.
  await waitFor('status to be ok again', async () => ((await status()).code === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 2_000 });
  await deleteJob(admin, ns, 'cert-issuer-now');
});

/** The API path of an object of dist/ (or a health check's reference to one). */
function objectPath({ apiVersion, kind, namespace, name }: { apiVersion: string; kind: string; namespace?: string; name: string }): string {
  return `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}${namespace ? `/namespaces/${namespace}` : ''}/${resourceOf(kind)}/${name}`;
}

/** The resource (plural) of a kind in dist/: every one of them is a regular English plural. */
function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

test('5. GIVEN objects of their own in the bootstrap\'s namespaces WHEN a commit drops a repository namespace and moves the assets server to another namespace THEN Flux prunes the folder\'s old objects and deletes no Namespace and nothing it did not apply', async () => {
  const before = userDist();
  const dropped = 'cozy-public';
  const oldAssets = config.assets.namespace as string;
  const newAssets = 'cozy-assets';
  // What the user and other tools keep there: a ConfigMap of their own, and the Secret the issuer wrote.
  const sentinel = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fab-e2e-not-ours' }, data: { owner: 'someone else' } };
  for (const ns of [dropped, oldAssets]) await admin.call('POST', `/api/v1/namespaces/${ns}/configmaps`, sentinel);
  const droppedSecret = await admin.get(secretPath(dropped, before.secretName));

  config.repositories = config.repositories.filter((repo: any) => repo.namespace !== dropped);
  config.assets.namespace = newAssets;
  const commit = await commitConfig(`dev: no repositories in ${dropped}; the assets server moves to ${newAssets}`);
  const after = userDist();
  expect(after.namespaces).not.toContain(dropped);
  expect(after.objects.filter((o) => o.obj.kind === 'Namespace').map((o) => o.obj.metadata.name)).not.toContain(dropped);

  await waitApplied(commit, 240_000);
  // The folder's old objects in those namespaces are gone: the old assets server and issuer, the dropped HelmRepositories.
  expect(await admin.find(`/apis/apps/v1/namespaces/${oldAssets}/statefulsets/${config.assets.name}`)).toBeUndefined();
  for (const repo of before.helmRepositories.filter((r) => r.metadata.namespace === dropped)) expect(await admin.find(helmRepositoryPath(repo))).toBeUndefined();
  // Nothing else: both Namespaces, with what the folder never held.
  for (const ns of [dropped, oldAssets]) {
    const namespace = await admin.get(`/api/v1/namespaces/${ns}`);
    expect({ ns, phase: namespace.status.phase, deleting: namespace.metadata.deletionTimestamp }).toEqual({ ns, phase: 'Active', deleting: undefined });
    expect((await admin.get(`/api/v1/namespaces/${ns}/configmaps/fab-e2e-not-ours`)).data).toEqual(sentinel.data);
  }
  expect((await admin.get(secretPath(dropped, before.secretName))).metadata.uid).toBe(droppedSecret.metadata.uid);
  // The moved bootstrap works: its issuer ran in the new namespace, and Flux fetches from the moved server.
  expect(condition(await jobEnd(admin, state, newAssets, after.job.metadata.name), 'Complete')?.status).toBe('True');
  for (const repo of after.helmRepositories) await requestReconcile(helmRepositoryPath(repo));
  await repositoriesReady(after);
});
