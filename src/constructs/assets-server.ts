import { Lazy } from 'cdk8s';
import { type ISubject, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ASSETS_FIELDS } from '../contract/settings.ts';
import { type Input, object } from '../contract/settings-schema.ts';
import { bootstrapPodPlacement, containerResources, POD } from './bootstrap-pod.ts';
import { PART_OF, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from './hardening.ts';
import { assetsPodName } from './names.ts';
import { settleProps } from './props.ts';
import { bindingSubject, roleRef } from './rbac.ts';

const PROPS = object({ ...ASSETS_FIELDS, ...POD.fields });

/**
 * The config's `assets` section and pod settings (the README's reference documents each field).
 * Its namespace's pods need Pod Security `privileged`; the pod is always `<name>-0`.
 */
export type AssetsServerProps = Input<typeof PROPS>;

/**
 * The in-cluster HTTP server that holds the Helm charts Flux installs first. It runs on the host
 * network, because no CNI exists yet, and Flux reaches it through the API server's pod proxy.
 */
export class AssetsServer extends Construct {
  public readonly namespace: string;
  public readonly name: string;
  /** The one pod a reader may proxy to: stable, because it belongs to a StatefulSet. */
  public readonly podName: string;
  public readonly port: number;
  private readonly readers: ISubject[] = [];
  private readerBinding?: k8s.KubeRoleBinding;

  public constructor(scope: Construct, id: string, props: AssetsServerProps) {
    super(scope, id);
    const settings = settleProps(this, PROPS, props);
    this.namespace = settings.namespace;
    this.name = settings.name;
    this.podName = assetsPodName(settings.name);
    this.port = settings.port;

    // Explicit and independent of construct ids: a StatefulSet selector is immutable.
    const selector = { 'app.kubernetes.io/name': settings.name, 'app.kubernetes.io/component': 'assets-server' };
    const labels = { ...selector, ...PART_OF };
    const metadata = { name: settings.name, namespace: settings.namespace, labels };
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
        serviceName: settings.name,
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
            ...bootstrapPodPlacement(settings),
            containers: [{
              name: 'server',
              image: settings.image,
              imagePullPolicy: 'IfNotPresent',
              // The pod proxy dials the pod IP at this port; on the host network that is the node.
              ports: [{ name: 'http', containerPort: this.port, hostPort: this.port, protocol: 'TCP' }],
              // The port to listen on, for an image that reads it (the reference image does).
              env: [{ name: 'PORT', value: String(this.port) }],
              readinessProbe: probe(3),
              livenessProbe: probe(6),
              resources: containerResources(settings.resources),
              securityContext: RESTRICTED_CONTAINER_SECURITY,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });
  }

  /**
   * Lets `subject` fetch from the server through the API server's pod proxy: `get` on the
   * `pods/proxy` subresource of pod `<name>-0` and nothing else, so a leaked credential reads public
   * charts at worst. Flux's client certificate is a `User` named by its CN.
   *
   * Every reader is listed in one RoleBinding, `<name>-reader`, next to the Role of that name.
   * @returns the RoleBinding
   */
  public grantProxyRead(subject: ISubject): k8s.KubeRoleBinding {
    this.readers.push(subject);
    this.readerBinding ??= this.createReaderBinding();
    return this.readerBinding;
  }

  private createReaderBinding(): k8s.KubeRoleBinding {
    const metadata = { name: `${this.name}-reader`, namespace: this.namespace, labels: { ...PART_OF } };
    const role = new k8s.KubeRole(this, 'ReaderRole', {
      metadata,
      rules: [{ apiGroups: [''], resources: ['pods/proxy'], resourceNames: [this.podName], verbs: ['get'] }],
    });
    return new k8s.KubeRoleBinding(this, 'ReaderBinding', {
      metadata,
      roleRef: roleRef(role),
      subjects: Lazy.any({ produce: () => this.readers.map(bindingSubject) }),
    });
  }
}
