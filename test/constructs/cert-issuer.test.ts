import { readFileSync } from 'node:fs';
import { parseIssuerArgs } from '../../src/contract/issuer-flags.ts';
import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { CertIssuer, type CertIssuerProps } from '../../src/constructs/cert-issuer.ts';
import { ISSUER_PROGRAM_FILE } from '../../src/constructs/issuer-program.ts';
import { ISSUER_IMAGE, kinds, type Manifest, only, synth } from './synth.ts';

const required = {
  namespace: 'cozy-system',
  endpoint: ApiEndpoint.parse('localhost:7445'),
  certificate: { commonName: 'flux-reader', secretName: 'assets-tls' },
  issuer: { image: ISSUER_IMAGE },
  namespaces: ['cozy-system', 'kube-system'],
} satisfies CertIssuerProps;

type Overrides = Omit<Partial<CertIssuerProps>, 'certificate' | 'issuer'> & {
  readonly certificate?: Partial<CertIssuerProps['certificate']>;
  readonly issuer?: Partial<CertIssuerProps['issuer']>;
};

function issuer(props: Overrides = {}): { manifests: Manifest[]; construct: CertIssuer } {
  let construct: CertIssuer | undefined;
  const manifests = synth((chart) => {
    construct = new CertIssuer(chart, 'Issuer', {
      ...required,
      ...props,
      certificate: { ...required.certificate, ...props.certificate },
      issuer: { ...required.issuer, ...props.issuer },
    });
  });
  return { manifests, construct: construct! };
}

const podOf = (manifests: Manifest[]) => only(manifests, 'Job').spec.template.spec;
/** The pod specs of the Job and of the renewal CronJob, which the pod settings shape alike. */
const podsOf = (manifests: Manifest[]) => [podOf(manifests), only(manifests, 'CronJob').spec.jobTemplate.spec.template.spec];
// The first arg is the command, `ensure`; the contract's parser reads what follows it.
const argsOf = (manifests: Manifest[]) => parseIssuerArgs(podOf(manifests).containers[0].args.slice(1), {});
const rolesIn = (manifests: Manifest[], namespace: string) => manifests.filter((m) => m.kind === 'Role' && m.metadata.namespace === namespace);

describe('CertIssuer', () => {
  describe('GIVEN only the required props (no apiCA, no HelmRepositories to refresh)', () => {
    const { manifests, construct } = issuer();

    test('WHEN synthesized THEN the Job asks for the settings\' defaults and writes the cluster CA', () => {
      expect(argsOf(manifests)).toEqual({
        commonName: 'flux-reader',
        secretName: 'assets-tls',
        namespaces: ['cozy-system', 'kube-system'],
        signerName: 'kubernetes.io/kube-apiserver-client',
        expirationSeconds: 31_536_000,
        keyBits: 2048,
        timeoutSeconds: 300,
        refreshHelmRepositories: [],
        logFormat: 'json',
      });
    });

    test('WHEN synthesized THEN the pod selects no nodes, names no PriorityClass and no pull Secret', () => {
      expect(podOf(manifests)).not.toHaveProperty('nodeSelector');
      expect(podOf(manifests)).not.toHaveProperty('priorityClassName');
      expect(podOf(manifests)).not.toHaveProperty('imagePullSecrets');
    });

    test('WHEN synthesized THEN the issuer requests 50m CPU and 64Mi memory, and may use at most 128Mi', () => {
      expect(podOf(manifests).containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    });

    test('WHEN synthesized THEN there is no CA ConfigMap and the pod mounts only its projected token', () => {
      expect(kinds(manifests)).not.toContain('ConfigMap');
      expect(podOf(manifests).volumes.map((volume: { name: string }) => volume.name)).toEqual(['api-access']);
    });

    test('WHEN synthesized THEN the renewal runs four times a day and the admission policies for CSRs, Secrets and Events are on, none for HelmRepositories', () => {
      expect(only(manifests, 'CronJob').spec.schedule).toBe('17 */6 * * *');
      expect(manifests.filter((m) => m.kind === 'ValidatingAdmissionPolicyBinding').map((m) => m.spec.policyName)).toEqual([
        'certificatesigningrequests.cozy-system.cert-issuer.flux-assets-bootstrap.io',
        'secrets.cozy-system.cert-issuer.flux-assets-bootstrap.io',
        'events.cozy-system.cert-issuer.flux-assets-bootstrap.io',
      ]);
    });

    test('WHEN synthesized THEN each Secret namespace grants reading and replacing the one Secret and creating Secrets, no patch or delete, nothing on HelmRepositories, and its own namespace creating Events', () => {
      const secretRules = [
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['assets-tls'], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ];
      expect(rolesIn(manifests, 'kube-system')[0]!.rules).toEqual(secretRules);
      expect(rolesIn(manifests, 'cozy-system')[0]!.rules).toEqual([...secretRules, { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }]);
    });

    test("WHEN the issuer's namespace gets no copy of the Secret THEN its Role there grants creating Events and nothing else", () => {
      const roles = rolesIn(issuer({ namespaces: ['kube-system'] }).manifests, 'cozy-system');
      expect(roles.map((role) => role.rules)).toEqual([[{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }]]);
    });

    test('WHEN its Event policy is read THEN it admits only reports on its own Jobs, from its controller, with nothing related and a short note', () => {
      const policy = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicy' && m.metadata.name.startsWith('events.'))!;
      expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: ['events.k8s.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['events'] }]);
      expect(policy.spec.validations.map((v: { expression: string }) => v.expression)).toEqual([
        "has(object.regarding) && object.regarding.apiVersion == 'batch/v1' && object.regarding.kind == 'Job' && object.regarding.namespace == \"cozy-system\" && object.regarding.name.startsWith(\"cert-issuer-\")",
        'has(object.reportingController) && object.reportingController == "flux-assets-bootstrap.io/cert-issuer"',
        '!has(object.related)',
        '!has(object.note) || size(object.note) <= 1024',
      ]);
    });

    test('WHEN its ServiceAccount is read THEN it is the subject every binding names', () => {
      const subject = { kind: 'ServiceAccount', name: 'cert-issuer', namespace: 'cozy-system' };
      expect(construct.serviceAccount.toSubjectConfiguration()).toMatchObject(subject);
      const bindings = manifests.filter((m) => m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding');
      expect(bindings).toHaveLength(3);
      for (const binding of bindings) expect(binding.subjects).toEqual([subject]);
      expect(only(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    });
  });

  test('GIVEN an apiCA WHEN synthesized THEN it ships in a ConfigMap the Job reads, and the Job gets a new name', () => {
    const { manifests } = issuer({ apiCA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
    expect(only(manifests, 'ConfigMap').metadata.name).toBe('cert-issuer-api-ca');
    expect(argsOf(manifests).caFile).toBe('/etc/cert-issuer/ca/ca.crt');
    expect(only(manifests, 'Job').metadata.name).not.toBe(only(issuer().manifests, 'Job').metadata.name);
  });

  describe('GIVEN no issuer image', () => {
    const withImage = issuer();
    const { manifests } = issuer({ issuer: { image: undefined } });
    const container = podOf(manifests).containers[0];

    test('WHEN synthesized THEN the bundle ships in a ConfigMap, byte for byte, and runs on the distroless Node image', () => {
      expect(only(manifests, 'ConfigMap').metadata.name).toBe('cert-issuer-program');
      expect(only(manifests, 'ConfigMap').data).toEqual({ 'cert-issuer.mjs': readFileSync(ISSUER_PROGRAM_FILE, 'utf8') });
      expect(container.image).toBe('gcr.io/distroless/nodejs24-debian12:nonroot');
      expect(container.command).toEqual(['/nodejs/bin/node', '/opt/cert-issuer/cert-issuer.mjs']);
    });

    test('WHEN synthesized THEN the pod mounts the ConfigMap read-only where the command reads it, beside the token', () => {
      expect(container.volumeMounts).toContainEqual({ name: 'program', mountPath: '/opt/cert-issuer', readOnly: true });
      expect(podOf(manifests).volumes).toContainEqual({ name: 'program', configMap: { name: 'cert-issuer-program' } });
      expect(podsOf(manifests)[1]).toEqual(podOf(manifests));
    });

    test('WHEN synthesized THEN the args, token and hardening are those of the Job with an image', () => {
      const other = podOf(withImage.manifests);
      expect(container.args).toEqual(other.containers[0].args);
      expect(container.securityContext).toEqual(other.containers[0].securityContext);
      expect(podOf(manifests).securityContext).toEqual(other.securityContext);
      expect(podOf(manifests).volumes[0]).toEqual(other.volumes[0]);
      expect(only(withImage.manifests, 'Job').spec.template.spec.containers[0].command).toEqual(['/nodejs/bin/node', '/app/cert-issuer.mjs']);
      expect(kinds(withImage.manifests)).not.toContain('ConfigMap');
    });

    test('WHEN a Node image pinned by digest is given THEN the Job and the CronJob run on it', () => {
      const pinned = `gcr.io/distroless/nodejs24-debian12:nonroot@sha256:${'0'.repeat(64)}`;
      for (const pod of podsOf(issuer({ issuer: { image: undefined, nodeImage: pinned } }).manifests)) expect(pod.containers[0].image).toBe(pinned);
    });
  });

  test('GIVEN HelmRepositories to refresh WHEN synthesized THEN the issuer may only patch those, in their namespace only, under their admission policy', () => {
    const { manifests } = issuer({ refreshHelmRepositories: [{ namespace: 'kube-system', name: 'cilium' }] });
    expect(argsOf(manifests).refreshHelmRepositories).toEqual([{ namespace: 'kube-system', name: 'cilium' }]);
    expect(rolesIn(manifests, 'kube-system')[0]!.rules).toContainEqual(
      { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['helmrepositories'], resourceNames: ['cilium'], verbs: ['patch'] },
    );
    expect(rolesIn(manifests, 'cozy-system')[0]!.rules).toHaveLength(3); // its Secret's two and its Events'
    expect(manifests.filter((m) => m.kind === 'ValidatingAdmissionPolicy').map((m) => m.metadata.name)).toContain('helmrepositories.cozy-system.cert-issuer.flux-assets-bootstrap.io');
  });

  test('GIVEN pull Secrets WHEN synthesized THEN the Job and the renewal CronJob pull with each of them', () => {
    for (const pod of podsOf(issuer({ imagePullSecrets: ['registry', 'mirror.example.org'] }).manifests)) {
      expect(pod.imagePullSecrets).toEqual([{ name: 'registry' }, { name: 'mirror.example.org' }]);
    }
  });

  test('GIVEN a node selector WHEN synthesized THEN the Job and the renewal CronJob select those nodes', () => {
    const nodeSelector = { 'node-role.kubernetes.io/control-plane': '', 'topology.kubernetes.io/zone': 'eu-1a' };
    for (const pod of podsOf(issuer({ nodeSelector }).manifests)) expect(pod.nodeSelector).toEqual(nodeSelector);
  });

  test('GIVEN a PriorityClass WHEN synthesized THEN the Job and the renewal CronJob name it', () => {
    for (const pod of podsOf(issuer({ priorityClassName: 'bootstrap-critical' }).manifests)) expect(pod.priorityClassName).toBe('bootstrap-critical');
  });

  test('GIVEN resources WHEN synthesized THEN the Job and the renewal CronJob get exactly those, without the defaults they leave out', () => {
    const resources = { requests: { cpu: '100m', memory: '96Mi' } };
    for (const pod of podsOf(issuer({ issuer: { resources } }).manifests)) expect(pod.containers[0].resources).toEqual(resources);
  });

  test('GIVEN a memory request above its limit WHEN the app is synthesized THEN the error names the request and the limit', () => {
    expect(() => issuer({ issuer: { resources: { requests: { memory: '256Mi' }, limits: { memory: '128Mi' } } } })).toThrow(
      '[test/Issuer] issuer.resources.requests.memory must be at most the memory limit 128Mi, as the API requires (got "256Mi")',
    );
  });

  test('GIVEN admissionPolicy off WHEN synthesized THEN there is no ValidatingAdmissionPolicy or binding', () => {
    expect(kinds(issuer({ issuer: { admissionPolicy: false } }).manifests).filter((kind) => kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });

  test('GIVEN bad props WHEN the app is synthesized THEN one error names every bad prop with its value', () => {
    const bad: Overrides = {
      certificate: { commonName: 'system:admin', keyBits: 1024 as never },
      issuer: { timeoutSeconds: 10, renewalSchedule: '0 20-10 * * *' },
      refreshHelmRepositories: [{ namespace: 'kube-system', name: 'Cilium' }],
    };
    expect(() => issuer(bad)).toThrow(new RegExp('\\[test/Issuer\\] certificate\\.commonName must be a certificate CN.*\\(got "system:admin"\\)\n'
      + '  \\[test/Issuer\\] certificate\\.keyBits must be one of 2048, 3072, 4096 \\(got 1024\\)\n'
      + '  \\[test/Issuer\\] issuer\\.timeoutSeconds must be an integer from 30 to 3600 \\(got 10\\)\n'
      + '  \\[test/Issuer\\] issuer\\.renewalSchedule must not have a hour range that runs backwards: 20-10.*\n'
      + '  \\[test/Issuer\\] refreshHelmRepositories\\[0\\]\\.name must be a DNS-1123 label.*\\(got "Cilium"\\)$'));
  });

  test('GIVEN an organization WHEN synthesized THEN the Job and the admission policy both carry it', () => {
    const { manifests } = issuer({ certificate: { organization: 'flux-readers' } });
    expect(argsOf(manifests).organization).toBe('flux-readers');
    const csrPolicy = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicy' && m.metadata.name.startsWith('certificatesigningrequests.'));
    expect(JSON.stringify(csrPolicy!.spec)).toContain('CN=flux-reader, O=flux-readers');
  });
});
