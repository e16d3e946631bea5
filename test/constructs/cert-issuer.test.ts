import { DEFAULTS, parseIssuerArgs } from '../../src/contract/issuer-contract.ts';
import { ApiEndpoint } from '../../src/contract/api-endpoint.ts';
import { CertIssuer, type CertIssuerProps } from '../../src/constructs/cert-issuer.ts';
import { ISSUER_IMAGE, kinds, type Manifest, only, synth } from './synth.ts';

const required: CertIssuerProps = {
  namespace: 'cozy-system',
  image: ISSUER_IMAGE,
  endpoint: ApiEndpoint.parse('localhost:7445'),
  commonName: 'flux-reader',
  secretName: 'assets-tls',
  secretNamespaces: ['cozy-system', 'kube-system'],
};

function issuer(props: Partial<CertIssuerProps> = {}): { manifests: Manifest[]; construct: CertIssuer } {
  let construct: CertIssuer | undefined;
  const manifests = synth((chart) => {
    construct = new CertIssuer(chart, 'Issuer', { ...required, ...props });
  });
  return { manifests, construct: construct! };
}

const podOf = (manifests: Manifest[]) => only(manifests, 'Job').spec.template.spec;
// The first arg is the command, `ensure`; the contract's parser reads what follows it.
const argsOf = (manifests: Manifest[]) => parseIssuerArgs(podOf(manifests).containers[0].args.slice(1), {});
const rolesIn = (manifests: Manifest[], namespace: string) => manifests.filter((m) => m.kind === 'Role' && m.metadata.namespace === namespace);

describe('CertIssuer', () => {
  describe('GIVEN only the required props (no apiCA, no HelmRepositories to refresh)', () => {
    const { manifests, construct } = issuer();

    test('WHEN synthesized THEN the Job asks for the contract defaults and writes the cluster CA', () => {
      expect(argsOf(manifests)).toEqual({
        ...DEFAULTS,
        commonName: 'flux-reader',
        secretName: 'assets-tls',
        namespaces: ['cozy-system', 'kube-system'],
        refreshHelmRepositories: [],
      });
    });

    test('WHEN synthesized THEN there is no CA ConfigMap and the pod mounts only its projected token', () => {
      expect(kinds(manifests)).not.toContain('ConfigMap');
      expect(podOf(manifests).volumes.map((volume: { name: string }) => volume.name)).toEqual(['api-access']);
    });

    test('WHEN synthesized THEN the renewal runs four times a day and the admission policy is on', () => {
      expect(only(manifests, 'CronJob').spec.schedule).toBe('17 */6 * * *');
      expect(only(manifests, 'ValidatingAdmissionPolicyBinding').spec.policyName).toBe('cozy-system.cert-issuer.flux-assets-bootstrap.io');
    });

    test('WHEN synthesized THEN each Secret namespace grants the Secret and nothing on HelmRepositories', () => {
      for (const namespace of required.secretNamespaces) {
        const [role] = rolesIn(manifests, namespace);
        expect(role!.rules.map((rule: { resources: string[] }) => rule.resources)).toEqual([['secrets'], ['secrets']]);
      }
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

  test('GIVEN HelmRepositories to refresh WHEN synthesized THEN the issuer may get and patch those, in their namespace only', () => {
    const { manifests } = issuer({ helmRepositories: [{ namespace: 'kube-system', name: 'cilium' }] });
    expect(argsOf(manifests).refreshHelmRepositories).toEqual([{ namespace: 'kube-system', name: 'cilium' }]);
    expect(rolesIn(manifests, 'kube-system')[0]!.rules).toContainEqual(
      { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['helmrepositories'], resourceNames: ['cilium'], verbs: ['get', 'patch'] },
    );
    expect(rolesIn(manifests, 'cozy-system')[0]!.rules).toHaveLength(2);
  });

  test('GIVEN admissionPolicy off WHEN synthesized THEN there is no ValidatingAdmissionPolicy or binding', () => {
    expect(kinds(issuer({ admissionPolicy: false }).manifests).filter((kind) => kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });

  test('GIVEN bad props WHEN constructed THEN one error names every bad prop with its value', () => {
    const bad = { commonName: 'system:admin', keyBits: 1024 as never, timeoutSeconds: 10, renewalSchedule: '0 20-10 * * *', helmRepositories: [{ namespace: 'kube-system', name: 'Cilium' }] };
    expect(() => issuer(bad)).toThrow(new RegExp('^test/Issuer: invalid props: commonName must be a certificate CN.*\\(got "system:admin"\\); '
      + 'helmRepositories\\[0\\]\\.name must be a DNS-1123 label.*\\(got "Cilium"\\); keyBits must be one of 2048, 3072, 4096 \\(got 1024\\); '
      + 'timeoutSeconds must be an integer from 30 to 3600 \\(got 10\\); renewalSchedule must not have a hour range that runs backwards: 20-10'));
  });
});
