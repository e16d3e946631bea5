import { Construct } from 'constructs';
import { HelmRepository } from '../../imports/source.toolkit.fluxcd.io.ts';
import { DNS_LABEL, SECRET_NAME } from '../contract/issuer-contract.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';
import type { AssetsServer } from './assets-server.ts';
import { text } from '../contract/schema.ts';
import { PART_OF } from './hardening.ts';
import { podProxyPath } from './names.ts';
import { BOOTSTRAP_DEFAULTS, FLUX_DURATION, validateProps } from '../contract/prop-rules.ts';

export interface AssetsHelmRepositoryProps {
  /** Repository name: the HelmRepository's name and the folder under the server's `/repos/`. */
  readonly name: string;
  /** Namespace of the HelmRepository; it must hold the TLS Secret too. */
  readonly namespace: string;
  /** The API endpoint Flux reaches the pod proxy through. */
  readonly endpoint: ApiEndpoint;
  /** The server that serves the repository under `/repos/<name>`. */
  readonly server: AssetsServer;
  /** Secret with `tls.crt`, `tls.key` and `ca.crt`, in `namespace` (certSecretRef is namespace-local). */
  readonly secretName: string;
  /**
   * How often Flux re-reads the index, as the HelmRepository CRD takes it (`5m`, `1h30m`).
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
    validateProps(this, [
      ['name', text(DNS_LABEL), props.name],
      ['namespace', text(DNS_LABEL), props.namespace],
      ['secretName', text(SECRET_NAME), props.secretName],
      ['interval', text(FLUX_DURATION), props.interval],
    ]);
    const { server } = props;
    this.name = props.name;
    this.namespace = props.namespace;
    this.url = props.endpoint.url(podProxyPath(server.namespace, server.podName, props.name));
    new HelmRepository(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...PART_OF } },
      spec: {
        url: this.url,
        interval: props.interval ?? BOOTSTRAP_DEFAULTS.interval,
        certSecretRef: { name: props.secretName },
      },
    });
  }
}
