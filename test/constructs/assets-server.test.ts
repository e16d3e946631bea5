import { ServiceAccount, User } from 'cdk8s-plus-28';
import { AssetsServer } from '../../src/constructs/assets-server.ts';
import { kinds, only, SERVER_IMAGE, synth } from './synth.ts';

const props = { namespace: 'cozy-system', name: 'assets', image: SERVER_IMAGE };

describe('AssetsServer', () => {
  describe('GIVEN only the required props', () => {
    const manifests = synth((chart) => new AssetsServer(chart, 'Server', props));
    const pod = only(manifests, 'StatefulSet').spec.template.spec;

    test('WHEN synthesized THEN the server listens on 8123 on the host network, and the Service names that port', () => {
      expect(pod.hostNetwork).toBe(true);
      expect(pod.containers[0].ports).toEqual([{ name: 'http', containerPort: 8123, hostPort: 8123, protocol: 'TCP' }]);
      expect(only(manifests, 'Service').spec.ports).toEqual([{ name: 'http', port: 8123, targetPort: 'http' }]);
    });

    test('WHEN synthesized THEN the pod tolerates exactly the built-in bootstrap taints', () => {
      expect(pod.tolerations).toEqual([
        'node.kubernetes.io/not-ready',
        'node.kubernetes.io/unreachable',
        'node.kubernetes.io/network-unavailable',
        'node.cloudprovider.kubernetes.io/uninitialized',
        'node-role.kubernetes.io/control-plane',
        'node.cilium.io/agent-not-ready',
      ].map((key) => ({ key, operator: 'Exists' })));
    });

    test('WHEN synthesized THEN the pod selects no nodes, names no PriorityClass and no pull Secret', () => {
      expect(pod).not.toHaveProperty('nodeSelector');
      expect(pod).not.toHaveProperty('priorityClassName');
      expect(pod).not.toHaveProperty('imagePullSecrets');
    });

    test('WHEN synthesized THEN the server requests 10m CPU and 32Mi memory, and may use at most 128Mi', () => {
      expect(pod.containers[0].resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
    });

    test('WHEN nothing is granted THEN there is no reader Role or binding', () => {
      expect(kinds(manifests)).toEqual(['Service', 'StatefulSet']);
    });
  });

  test('GIVEN pull Secrets WHEN synthesized THEN the pod pulls with each of them', () => {
    const manifests = synth((chart) => new AssetsServer(chart, 'Server', { ...props, imagePullSecrets: ['registry', 'mirror.example.org'] }));
    expect(only(manifests, 'StatefulSet').spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry' }, { name: 'mirror.example.org' }]);
  });

  test('GIVEN a node selector WHEN synthesized THEN the pod selects those nodes, an empty label value included', () => {
    const nodeSelector = { 'node-role.kubernetes.io/control-plane': '', 'topology.kubernetes.io/zone': 'eu-1a' };
    const manifests = synth((chart) => new AssetsServer(chart, 'Server', { ...props, nodeSelector }));
    expect(only(manifests, 'StatefulSet').spec.template.spec.nodeSelector).toEqual(nodeSelector);
  });

  test('GIVEN a PriorityClass WHEN synthesized THEN the pod names it', () => {
    const manifests = synth((chart) => new AssetsServer(chart, 'Server', { ...props, priorityClassName: 'system-cluster-critical' }));
    expect(only(manifests, 'StatefulSet').spec.template.spec.priorityClassName).toBe('system-cluster-critical');
  });

  test('GIVEN resources WHEN synthesized THEN the container gets exactly those, without the defaults it leaves out', () => {
    const resources = { requests: { cpu: '0.5' }, limits: { cpu: '1', memory: '1Gi' } };
    const manifests = synth((chart) => new AssetsServer(chart, 'Server', { ...props, resources }));
    expect(only(manifests, 'StatefulSet').spec.template.spec.containers[0].resources).toEqual(resources);
  });

  describe('GIVEN a server read by a User and by a ServiceAccount', () => {
    let bindings: unknown[] = [];
    const manifests = synth((chart) => {
      const server = new AssetsServer(chart, 'Server', props);
      bindings = [
        server.grantProxyRead(User.fromName(chart, 'Flux', 'flux-reader')),
        server.grantProxyRead(ServiceAccount.fromServiceAccountName(chart, 'Mirror', 'mirror', { namespaceName: 'tools' })),
      ];
    });

    test('WHEN synthesized THEN one Role allows get on the proxy of pod assets-0 and nothing else', () => {
      expect(only(manifests, 'Role')).toMatchObject({
        metadata: { name: 'assets-reader', namespace: 'cozy-system' },
        rules: [{ apiGroups: [''], resources: ['pods/proxy'], resourceNames: ['assets-0'], verbs: ['get'] }],
      });
    });

    test('WHEN synthesized THEN one binding lists both readers, the ServiceAccount with its namespace and no API group', () => {
      expect(bindings[0]).toBe(bindings[1]);
      expect(only(manifests, 'RoleBinding')).toMatchObject({
        metadata: { name: 'assets-reader', namespace: 'cozy-system' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'assets-reader' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'flux-reader' },
          { kind: 'ServiceAccount', name: 'mirror', namespace: 'tools' },
        ],
      });
    });
  });

  test('GIVEN bad props WHEN constructed THEN one error names every bad prop with its value', () => {
    const bad = { namespace: 'cozy-system', name: 'a'.repeat(53), image: 'nginx:latest', port: 80 };
    expect(() => synth((chart) => new AssetsServer(chart, 'Server', bad))).toThrow(
      new RegExp(`\\[test/Server\\] name must be .*at most 52 characters.*\\(got "${'a'.repeat(53)}"\\)\n`
        + '  \\[test/Server\\] image must be an image reference pinned .*\\(got "nginx:latest"\\)\n  \\[test/Server\\] port must be an integer from 1024 to 65535 \\(got 80\\)$'),
    );
  });
});
