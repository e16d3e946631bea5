import { Construct } from 'constructs';
import { HelmRepository } from '../imports/source.toolkit.fluxcd.io.ts';
import type { ApiEndpoint } from './api-endpoint.ts';
import type { AssetsServer } from './assets-server.ts';
import { PART_OF } from './hardening.ts';

export interface AssetsHelmRepositoryProps {
  /** Repository name: the HelmRepository's name and the folder under the server's `/repos/`. */
  readonly name: string;
  /** Namespace of the HelmRepository; it must hold the TLS Secret too. */
  readonly namespace: string;
  /** The API endpoint Flux reaches the pod proxy through. */
  readonly endpoint: ApiEndpoint;
  readonly server: AssetsServer;
  /** Secret with `tls.crt`, `tls.key` and `ca.crt`, in `namespace` (certSecretRef is namespace-local). */
  readonly secretName: string;
  /**
   * How often Flux re-reads the index.
   * @default 5m
   */
  readonly interval?: string;
}

/** A Flux HelmRepository that fetches from the assets server through the API pod proxy over mTLS. */
export class AssetsHelmRepository extends Construct {
  /** The HelmRepository's name, also the repository's folder on the server. */
  public readonly name: string;
  public readonly namespace: string;
  /** The proxy URL of the repository; the index is at `<url>/index.yaml`. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: AssetsHelmRepositoryProps) {
    super(scope, id);
    const { server } = props;
    this.name = props.name;
    this.namespace = props.namespace;
    this.url = props.endpoint.url(`/api/v1/namespaces/${server.namespace}/pods/${server.podName}/proxy/repos/${props.name}`);
    new HelmRepository(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...PART_OF } },
      spec: {
        url: this.url,
        interval: props.interval ?? '5m',
        certSecretRef: { name: props.secretName },
      },
    });
  }
}
