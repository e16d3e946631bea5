import { parse } from 'yaml';
import { parseCommand } from '../../cert-issuer/src/config.ts';
import { requestShape } from '../../src/contract/csr-encoding.ts';
import { MANAGED_LABELS, NOT_AFTER_ANNOTATION, RECONCILE_REQUESTED_AT_ANNOTATION, RENEW_AFTER_ANNOTATION, TLS_SECRET_KEYS, TLS_SECRET_TYPE } from '../../src/contract/issuer-api.ts';
import { loadClusterConfig, parseClusterConfig } from '../../src/config/cluster-config.ts';
import { devWith } from './bad-configs.ts';
import { renderCluster, type OutputFile } from '../../src/cli/synth.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

function manifestsOf(files: OutputFile[]): Manifest[] {
  return files.filter((file) => !file.path.endsWith('kustomization.yaml')).map((file) => parse(file.content));
}

function find(manifests: Manifest[], kind: string, name: string, namespace?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name && m.metadata.namespace === namespace);
  if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name}`);
  return found;
}

describe.each(['dev', 'prod'])('GIVEN the shipped example cluster %s', (cluster) => {
  const files = renderCluster(loadClusterConfig(`clusters/${cluster}.yaml`));

  test('WHEN synthesized THEN the output matches the snapshot', () => {
    // The issuer's bundle stands in by name: its bytes are the build's, which the drift test holds dist/ to.
    const readable = (content: string) => content.replace(/^( {2}cert-issuer\.mjs: )\|[\s\S]*$/m, '$1<cert-issuer/build/cert-issuer.mjs>\n');
    expect(Object.fromEntries(files.map((file) => [file.path, readable(file.content)]))).toMatchSnapshot();
  });

  test('WHEN synthesized THEN the kustomization lists every other file, in file-name order', () => {
    const kustomization = parse(files.find((file) => file.path === `${cluster}/kustomization.yaml`)!.content);
    const others = files.map((file) => file.path.slice(cluster.length + 1)).filter((name) => name !== 'kustomization.yaml');
    expect(kustomization.resources).toEqual([...others].sort());
    expect(others[0]).toMatch(/^00-namespace-/);
    // The policy is in force before the issuer's ServiceAccount gets a right.
    expect(others.findIndex((name) => name.startsWith('02-validatingadmissionpolicybinding-'))).toBeLessThan(others.findIndex((name) => /^\d\d-clusterrole-/.test(name)));
    // The issuer runs once its rights exist; the GitOps objects come last, the sync objects,
    // which take the folder over, at the very end.
    const kinds = others.map((name) => name.split('-')[1]);
    expect([...new Set(kinds.slice(kinds.indexOf('job')))]).toEqual(['job', 'cronjob', 'helmrelease', 'gitrepository', 'kustomization']);
  });

  test('WHEN synthesized THEN every Namespace carries Flux\'s prune: disabled, so that no config change deletes one with its contents', () => {
    const namespaces = manifestsOf(files).filter((m) => m.kind === 'Namespace');
    expect(namespaces.length).toBeGreaterThan(0);
    for (const namespace of namespaces) expect(namespace.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
  });
});

describe('GIVEN the dev cluster', () => {
  const manifests = manifestsOf(renderCluster(loadClusterConfig('clusters/dev.yaml')));
  const job = manifests.find((m) => m.kind === 'Job')!;
  const statefulSet = find(manifests, 'StatefulSet', 'cozystack-assets', 'cozy-system');

  test('THEN the reader may only get the proxy of pod cozystack-assets-0, as the certificate CN', () => {
    expect(find(manifests, 'Role', 'cozystack-assets-reader', 'cozy-system').rules).toEqual([
      { apiGroups: [''], resources: ['pods/proxy'], resourceNames: ['cozystack-assets-0'], verbs: ['get'] },
    ]);
    expect(find(manifests, 'RoleBinding', 'cozystack-assets-reader', 'cozy-system').subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cozystack-assets-reader' },
    ]);
  });

  test('THEN the issuer may handle CSRs and approve for the kube-apiserver-client signer only', () => {
    const clusterRole = find(manifests, 'ClusterRole', 'flux-assets-bootstrap:cozy-system:cert-issuer');
    expect(clusterRole.rules).toEqual([
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/kube-apiserver-client'], verbs: ['approve'] },
    ]);
    expect(find(manifests, 'ClusterRoleBinding', 'flux-assets-bootstrap:cozy-system:cert-issuer').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'cert-issuer', namespace: 'cozy-system' },
    ]);
  });

  test.each([
    ['cozy-system', ['system'], [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }]],
    ['cozy-public', ['apps', 'extra'], []],
  ])('THEN in %s the issuer may touch only the TLS Secret and that namespace\'s HelmRepositories, and create Events in its own', (namespace, repos, events) => {
    expect(find(manifests, 'Role', 'cert-issuer', namespace).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['cozystack-assets-tls'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['helmrepositories'], resourceNames: repos, verbs: ['patch'] },
      ...events,
    ]);
    expect(find(manifests, 'RoleBinding', 'cert-issuer', namespace).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'cert-issuer', namespace: 'cozy-system' },
    ]);
  });

  test('THEN no RBAC rule anywhere uses a wildcard, and nothing cluster-wide touches Secrets', () => {
    const rules = manifests.filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole').flatMap((m) => m.rules);
    for (const rule of rules) {
      for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs, ...(rule.resourceNames ?? [])]) {
        expect(value).not.toContain('*');
      }
    }
    const clusterRules = manifests.filter((m) => m.kind === 'ClusterRole').flatMap((m) => m.rules);
    expect(clusterRules.flatMap((rule) => rule.resources)).not.toContain('secrets');
  });

  test.each([
    ['cozy-system', 'system'],
    ['cozy-public', 'apps'],
    ['cozy-public', 'extra'],
  ])('THEN HelmRepository %s/%s reads through the pod proxy with the namespace-local Secret', (namespace, name) => {
    expect(find(manifests, 'HelmRepository', name, namespace).spec).toEqual({
      url: `https://localhost:7445/api/v1/namespaces/cozy-system/pods/cozystack-assets-0/proxy/repos/${name}`,
      interval: '5m',
      certSecretRef: { name: 'cozystack-assets-tls' },
    });
  });

  test('THEN cluster-scoped objects have no namespace and namespaced ones have one', () => {
    const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];
    for (const manifest of manifests) {
      if (clusterScoped.includes(manifest.kind)) expect(manifest.metadata.namespace).toBeUndefined();
      else expect(manifest.metadata.namespace).toMatch(/^(cozy-.*|flux-system)$/);
    }
  });

  test('THEN the namespace running hostNetwork pods enforces "privileged" and the other gets no label', () => {
    expect(find(manifests, 'Namespace', 'cozy-system').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(find(manifests, 'Namespace', 'cozy-public').metadata.labels).not.toHaveProperty(['pod-security.kubernetes.io/enforce']);
  });

  test.each([
    ['the assets server', () => statefulSet.spec.template.spec],
    ['the cert-issuer Job', () => job.spec.template.spec],
  ])('THEN %s runs on the host network, without cluster DNS, tolerating a node without CNI', (_, podSpec) => {
    const spec = podSpec();
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('Default');
    expect(spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' },
      { key: 'node.cloudprovider.kubernetes.io/uninitialized', operator: 'Exists' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
      { key: 'node.cilium.io/agent-not-ready', operator: 'Exists' },
    ]);
    const [container] = spec.containers;
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources.limits.memory).toBe('128Mi');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  test('THEN the assets StatefulSet has stable names, a fixed selector, host port 8123 and probes', () => {
    expect(statefulSet.spec.serviceName).toBe('cozystack-assets');
    expect(statefulSet.spec.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'cozystack-assets', 'app.kubernetes.io/component': 'assets-server' },
    });
    const [container] = statefulSet.spec.template.spec.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8123, hostPort: 8123, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(statefulSet.spec.template.spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(find(manifests, 'Service', 'cozystack-assets', 'cozy-system').spec.clusterIP).toBe('None');
  });

  test('THEN the Job talks to the configured endpoint, never expires, and stops retrying on final exit codes', () => {
    const [container] = job.spec.template.spec.containers;
    expect(container.env).toEqual([
      { name: 'KUBERNETES_SERVICE_HOST', value: 'localhost' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '7445' },
      // Which run issued the certificate: the Job's name, the one-shot Job's or a renewal's.
      { name: 'CERT_ISSUER_RUN_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
    ]);
    // The example has no issuer image: its program comes from a ConfigMap.
    expect(container.command).toEqual(['/nodejs/bin/node', '/opt/cert-issuer/cert-issuer.mjs']);
    expect(container.args).toEqual([
      'ensure',
      '--common-name=cozystack-assets-reader',
      '--secret-name=cozystack-assets-tls',
      '--namespaces=cozy-system,cozy-public',
      '--signer-name=kubernetes.io/kube-apiserver-client',
      '--expiration-seconds=31536000',
      '--key-bits=2048',
      '--timeout-seconds=300',
      '--refresh-helm-repositories=cozy-system/system,cozy-public/apps,cozy-public/extra',
      '--log-format=json',
    ]);
    expect(job.spec.template.spec.serviceAccountName).toBe('cert-issuer');
    expect(job.spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(job.spec.podFailurePolicy.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'cert-issuer', operator: 'In', values: [2, 4, 7] } },
    ]);
  });
});

describe('GIVEN the dev cluster\'s issuer token', () => {
  const manifests = manifestsOf(renderCluster(loadClusterConfig('clusters/dev.yaml')));
  const pod = manifests.find((m) => m.kind === 'Job')!.spec.template.spec;

  test('THEN no token is automounted, by the ServiceAccount or the pod', () => {
    expect(find(manifests, 'ServiceAccount', 'cert-issuer', 'cozy-system').automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('THEN the pod mounts one projected volume, a 10-minute token, the cluster CA and the namespace, where the issuer reads them, and its program', () => {
    expect(pod.volumes).toEqual([{
      name: 'api-access',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    }, { name: 'program', configMap: { name: 'cert-issuer-program' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      { name: 'program', mountPath: '/opt/cert-issuer', readOnly: true },
    ]);
    expect(parseCommand(pod.containers[0].args, { KUBERNETES_SERVICE_HOST: 'localhost', KUBERNETES_SERVICE_PORT: '7445' })).toMatchObject({
      config: { cluster: { kind: 'in-cluster', serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' } },
    });
  });
});

describe("GIVEN the dev cluster's admission policies", () => {
  const manifests = manifestsOf(renderCluster(loadClusterConfig('clusters/dev.yaml')));
  const nameOf = (resource: string) => `${resource}.cozy-system.cert-issuer.flux-assets-bootstrap.io`;
  const policyOf = (resource: string) => find(manifests, 'ValidatingAdmissionPolicy', nameOf(resource));
  const rulesOf = (resource: string) => policyOf(resource).spec.matchConstraints.resourceRules.map((r: any) => `${r.apiGroups} ${r.operations} ${r.resources}`);
  const csrPolicy = policyOf('certificatesigningrequests');

  test.each(['certificatesigningrequests', 'secrets', 'helmrepositories'])('THEN the one for %s judges only the issuer\'s requests, fails closed, and its binding denies', (resource) => {
    const policy = policyOf(resource);
    expect(policy.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConditions).toEqual([{ name: 'issuer', expression: 'request.userInfo.username == "system:serviceaccount:cozy-system:cert-issuer"' }]);
    expect(find(manifests, 'ValidatingAdmissionPolicyBinding', nameOf(resource)).spec).toEqual({ policyName: nameOf(resource), validationActions: ['Deny'] });
  });

  test('THEN they judge CSR creates, deletes and approvals, Secret creates and updates, and HelmRepository updates', () => {
    expect(rulesOf('certificatesigningrequests')).toEqual(['certificates.k8s.io CREATE,DELETE certificatesigningrequests', 'certificates.k8s.io UPDATE certificatesigningrequests/approval']);
    expect(rulesOf('secrets')).toEqual([' CREATE,UPDATE secrets']);
    expect(rulesOf('helmrepositories')).toEqual(['source.toolkit.fluxcd.io UPDATE helmrepositories']);
  });

  test('THEN the CSR policy pins the signer, the usages, the lifetime, and the request to the issuer\'s encoding of its CN and key size, and a delete only to its own CSRs', () => {
    const shape = requestShape({ commonName: 'cozystack-assets-reader', organization: undefined }, 2048);
    const expressions = csrPolicy.spec.validations.map((v: any) => v.expression);
    expect(expressions).toEqual([
      "request.operation == 'CREATE' || variables.csr.spec.username == request.userInfo.username",
      ...[
        'variables.csr.spec.signerName == "kubernetes.io/kube-apiserver-client"',
        'has(variables.csr.spec.usages) && size(variables.csr.spec.usages) == 2 && ["digital signature", "client auth"].all(u, u in variables.csr.spec.usages)',
        'has(variables.csr.spec.expirationSeconds) && variables.csr.spec.expirationSeconds <= 31536000',
        `variables.csr.spec.request.startsWith("${shape.prefix}")`,
        `size(variables.csr.spec.request) == ${shape.length} && variables.csr.spec.request.matches("${shape.pattern}")`,
      ].map((rule) => `request.operation == 'DELETE' || (${rule})`),
    ]);
    for (const validation of csrPolicy.spec.validations) expect(validation.messageExpression).toContain('CSR refused by the cozy-system/cert-issuer issuer policy: ');
  });

  test('THEN the Secret policy names the configured Secret, its type and keys, and the issuer\'s labels and annotations, taken from the issuer\'s contract', () => {
    const text = JSON.stringify(policyOf('secrets').spec.validations);
    for (const expected of ['cozystack-assets-tls', TLS_SECRET_TYPE, ...TLS_SECRET_KEYS, ...Object.keys(MANAGED_LABELS), NOT_AFTER_ANNOTATION, RENEW_AFTER_ANNOTATION, 'ownerReferences', 'finalizers', 'immutable']) {
      expect(text).toContain(expected);
    }
  });

  test('THEN the HelmRepository policy keeps the spec and lets only the reconcile annotation change', () => {
    const expressions = policyOf('helmrepositories').spec.validations.map((v: any) => v.expression);
    expect(expressions[0]).toBe('object.spec == oldObject.spec');
    expect(expressions.join('\n')).toContain(`[${JSON.stringify(RECONCILE_REQUESTED_AT_ANNOTATION)}]`);
  });

  test('WHEN admissionPolicy is false THEN no policy or binding is synthesized, and the Job is the same', () => {
    const dev = loadClusterConfig('clusters/dev.yaml');
    const off = manifestsOf(renderCluster({ ...dev, issuer: { ...dev.issuer, admissionPolicy: false } }));
    expect(off.filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
    expect(off.find((m) => m.kind === 'Job')).toEqual(manifests.find((m) => m.kind === 'Job'));
  });
});

describe('GIVEN the dev cluster\'s renewal CronJob', () => {
  const manifests = manifestsOf(renderCluster(loadClusterConfig('clusters/dev.yaml')));
  const job = manifests.find((m) => m.kind === 'Job')!;
  const cronJob = find(manifests, 'CronJob', 'cert-issuer-renewal', 'cozy-system');

  test('THEN it runs the same Job spec four times a day, never two at once', () => {
    expect(cronJob.spec).toMatchObject({ schedule: '17 */6 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    expect(cronJob.spec.jobTemplate.spec).toEqual(job.spec);
  });
});

describe('GIVEN the prod cluster with a CA override, a 90-day lifetime, a private registry and cozy-system existing already', () => {
  const manifests = manifestsOf(renderCluster(loadClusterConfig('clusters/prod.yaml')));
  const job = manifests.find((m) => m.kind === 'Job')!;
  const [container] = job.spec.template.spec.containers;

  test('THEN the CA is shipped in a ConfigMap, mounted read-only and passed to the issuer', () => {
    expect(find(manifests, 'ConfigMap', 'cert-issuer-api-ca', 'cozy-system').data['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(container.volumeMounts).toContainEqual({ name: 'api-ca', mountPath: '/etc/cert-issuer/ca', readOnly: true });
    expect(container.args).toContain('--ca-file=/etc/cert-issuer/ca/ca.crt');
    expect(container.args).toContain('--expiration-seconds=7776000');
    expect(container.args).toContain('--key-bits=3072');
  });

  test('THEN extra tolerations come after the built-in ones on both pods', () => {
    const statefulSet = find(manifests, 'StatefulSet', 'cozystack-assets', 'cozy-system');
    for (const spec of [statefulSet.spec.template.spec, job.spec.template.spec]) {
      expect(spec.tolerations.at(-1)).toEqual({ key: 'dedicated', operator: 'Equal', value: 'bootstrap', effect: 'NoSchedule' });
    }
  });

  test('THEN both pods pull with the registry Secret', () => {
    const statefulSet = find(manifests, 'StatefulSet', 'cozystack-assets', 'cozy-system');
    for (const spec of [statefulSet.spec.template.spec, job.spec.template.spec]) {
      expect(spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    }
  });

  test("THEN cozy-system, which Cozystack's installer creates and labels, is no Namespace of the folder, and the assets server, its reader and the issuer are still in it", () => {
    expect(manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name)).toEqual(['cozy-public']);
    for (const [kind, name] of [['StatefulSet', 'cozystack-assets'], ['Service', 'cozystack-assets'], ['Role', 'cozystack-assets-reader'], ['ServiceAccount', 'cert-issuer'], ['CronJob', 'cert-issuer-renewal']]) {
      expect(find(manifests, kind!, name!, 'cozy-system')).toBeDefined();
    }
    expect(job.metadata.namespace).toBe('cozy-system');
  });
});

describe('GIVEN two configs that differ only in the issuer image', () => {
  test('WHEN synthesized THEN the Job names differ, so a re-apply creates a new Job instead of failing on immutable fields', () => {
    const dev = loadClusterConfig('clusters/dev.yaml');
    const jobName = (config: typeof dev) => manifestsOf(renderCluster(config)).find((m) => m.kind === 'Job')!.metadata.name;
    const changed = { ...dev, issuer: { ...dev.issuer, image: 'ghcr.io/example/flux-assets-bootstrap/cert-issuer:0.1.1' } };
    expect(jobName(dev)).toMatch(/^cert-issuer-[0-9a-f]{8}$/);
    expect(jobName(changed)).not.toBe(jobName(dev));
    expect(jobName({ ...dev })).toBe(jobName(dev));
  });
});

describe('GIVEN tolerations without an operator', () => {
  test('WHEN synthesized THEN each gets the operator the config documents: Exists without a value, Equal with one', () => {
    const text = devWith((c) => { c.tolerations = [{}, { key: 'dedicated' }, { key: 'dedicated', value: 'bootstrap', effect: 'NoSchedule' }]; });
    const manifests = manifestsOf(renderCluster(parseClusterConfig('clusters/dev.yaml', text)));
    const job = manifests.find((m) => m.kind === 'Job')!;
    expect(job.spec.template.spec.tolerations.slice(-3)).toEqual([
      { operator: 'Exists' },
      { key: 'dedicated', operator: 'Exists' },
      { key: 'dedicated', value: 'bootstrap', effect: 'NoSchedule', operator: 'Equal' },
    ]);
  });
});

describe('GIVEN the dev cluster with pod settings', () => {
  /** The pod specs of the assets server and the issuer's Job, with `change` applied to the config. */
  const podSpecsWith = (change: (config: any) => void): any[] => {
    const manifests = manifestsOf(renderCluster(parseClusterConfig('clusters/dev.yaml', devWith(change))));
    return [find(manifests, 'StatefulSet', 'cozystack-assets', 'cozy-system').spec.template.spec, manifests.find((m) => m.kind === 'Job')!.spec.template.spec];
  };

  test('WHEN it has a node selector THEN both pods select those nodes, an empty label value included', () => {
    const nodeSelector = { 'node-role.kubernetes.io/control-plane': '', 'example.com/pool': 'Bootstrap_1' };
    for (const spec of podSpecsWith((c) => { c.nodeSelector = nodeSelector; })) expect(spec.nodeSelector).toEqual(nodeSelector);
  });

  test('WHEN it sets issuer.resources THEN the issuer gets exactly those, a YAML number as its text, and the server keeps its defaults', () => {
    const [server, issuer] = podSpecsWith((c) => { c.issuer.resources = { requests: { cpu: 1, memory: '100M' } }; });
    expect(issuer!.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '100M' } });
    expect(server!.containers[0].resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
  });

  test('WHEN it names a PriorityClass THEN both pods name it', () => {
    for (const spec of podSpecsWith((c) => { c.priorityClassName = 'system-cluster-critical'; })) expect(spec.priorityClassName).toBe('system-cluster-critical');
  });
});
