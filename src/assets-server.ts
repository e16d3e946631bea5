import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BOOTSTRAP_TOLERATIONS } from './bootstrap-tolerations.ts';
import { PART_OF, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from './hardening.ts';

export interface AssetsServerProps {
  /** Namespace of the StatefulSet and its Service. */
  readonly namespace: string;
  /** Name of the StatefulSet and its headless Service; the pod is always `<name>-0`. */
  readonly name: string;
  /** The static HTTP server image, pinned by digest or tag. It serves Helm repositories under `/repos/<repo>`. */
  readonly image: string;
  /**
   * Port the server listens on, on the node's network.
   * @default 8123
   */
  readonly port?: number;
  /**
   * Tolerations added to the built-in ones for a node without a CNI.
   * @default - only the built-in bootstrap tolerations
   */
  readonly extraTolerations?: readonly k8s.Toleration[];
}

/**
 * The in-cluster HTTP server that holds the Helm charts Flux installs first. It runs on the host
 * network, because no CNI exists yet, and Flux reaches it through the API server's pod proxy.
 */
export class AssetsServer extends Construct {
  public readonly namespace: string;
  public readonly name: string;
  /** The one pod the reader may proxy to: stable, because it belongs to a StatefulSet. */
  public readonly podName: string;
  public readonly port: number;

  public constructor(scope: Construct, id: string, props: AssetsServerProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.name = props.name;
    this.podName = `${props.name}-0`;
    this.port = props.port ?? 8123;

    // Explicit and independent of construct ids: a StatefulSet selector is immutable.
    const selector = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/component': 'assets-server' };
    const labels = { ...selector, ...PART_OF };
    const metadata = { name: props.name, namespace: props.namespace, labels };
    const probe = (failureThreshold: number): k8s.Probe => ({
      httpGet: { path: '/', port: k8s.IntOrString.fromString('http') },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold,
    });

    new k8s.KubeService(this, 'Service', {
      metadata,
      spec: {
        clusterIp: 'None',
        // The StatefulSet's DNS identity must exist before the pod is Ready.
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: 'http', port: this.port, targetPort: k8s.IntOrString.fromString('http') }],
      },
    });

    new k8s.KubeStatefulSet(this, 'Resource', {
      metadata,
      spec: {
        serviceName: props.name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            hostNetwork: true,
            // "Default" uses the node's resolv.conf: cluster DNS does not run before the CNI.
            dnsPolicy: 'Default',
            enableServiceLinks: false,
            automountServiceAccountToken: false,
            securityContext: RESTRICTED_POD_SECURITY,
            tolerations: [...BOOTSTRAP_TOLERATIONS, ...(props.extraTolerations ?? [])],
            containers: [{
              name: 'server',
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              // The pod proxy dials the pod IP at this port; on the host network that is the node.
              ports: [{ name: 'http', containerPort: this.port, hostPort: this.port, protocol: 'TCP' }],
              readinessProbe: probe(3),
              livenessProbe: probe(6),
              resources: {
                requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                limits: { memory: k8s.Quantity.fromString('128Mi') },
              },
              securityContext: RESTRICTED_CONTAINER_SECURITY,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });
  }
}
