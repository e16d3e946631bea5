import { Construct } from 'constructs';
import { HelmRepository } from '../../imports/source.toolkit.fluxcd.io.ts';
import { CERTIFICATE_FIELDS, ENDPOINT_FIELD, REPOSITORY_FIELDS } from '../contract/settings.ts';
import { type Input, object } from '../contract/settings-schema.ts';
import type { AssetsServer } from './assets-server.ts';
import { PART_OF } from './hardening.ts';
import { podProxyPath } from './names.ts';
import { settleProps } from './props.ts';

const PROPS = object({ ...REPOSITORY_FIELDS, endpoint: ENDPOINT_FIELD, secretName: CERTIFICATE_FIELDS.secretName });

/**
 * One of the config's `repositories`, the API endpoint Flux reaches the pod proxy through, and the
 * TLS Secret in the repository's namespace (certSecretRef is namespace-local).
 */
export type AssetsHelmRepositoryProps = Input<typeof PROPS> & {
  /** The server that serves the repository under `/repos/<name>`. */
  readonly server: AssetsServer;
};

/** A Flux HelmRepository that fetches from the assets server through the API pod proxy over mTLS. */
export class AssetsHelmRepository extends Construct {
  /** The HelmRepository's name, also the repository's folder on the server. */
  public readonly name: string;
  public readonly namespace: string;
  /** The proxy URL of the repository; the index is at `<url>/index.yaml`. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: AssetsHelmRepositoryProps) {
    super(scope, id);
    const settings = settleProps(this, PROPS, props);
    const { server } = props;
    this.name = settings.name;
    this.namespace = settings.namespace;
    this.url = settings.endpoint.url(podProxyPath(server.namespace, server.podName, settings.name));
    new HelmRepository(this, 'Resource', {
      metadata: { name: settings.name, namespace: settings.namespace, labels: { ...PART_OF } },
      spec: {
        url: this.url,
        interval: settings.interval,
        certSecretRef: { name: settings.secretName },
      },
    });
  }
}
