import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AssetsBootstrap, type AssetsBootstrapProps } from './assets-bootstrap.ts';
import type { ClusterConfig } from './cluster-config.ts';

export interface FluxAssetsBootstrapProps {
  /** The validated config of the cluster to bootstrap. */
  readonly cluster: ClusterConfig;
}

/** The bootstrap of one `clusters/<name>.yaml`: what `npm run synth` writes to `dist/<name>/`. */
export class FluxAssetsBootstrap extends Chart {
  public constructor(scope: Construct, id: string, props: FluxAssetsBootstrapProps) {
    super(scope, id, { disableResourceNameHashes: true });
    new AssetsBootstrap(this, 'Bootstrap', assetsBootstrapProps(props.cluster));
  }
}

/** The construct's props from a cluster config: the YAML flow is one way to produce them. */
export function assetsBootstrapProps(cluster: ClusterConfig): AssetsBootstrapProps {
  const { assets, certificate, issuer } = cluster;
  return {
    endpoint: cluster.endpoint,
    apiCA: cluster.apiCA,
    namespace: assets.namespace,
    serverName: assets.name,
    serverImage: assets.image,
    serverPort: assets.port,
    repositories: cluster.repositories,
    commonName: certificate.commonName,
    secretName: certificate.secretName,
    expirationSeconds: certificate.expirationSeconds,
    keyBits: certificate.keyBits,
    issuerImage: issuer.image,
    timeoutSeconds: issuer.timeoutSeconds,
    renewalSchedule: issuer.renewalSchedule,
    admissionPolicy: issuer.admissionPolicy,
    extraTolerations: cluster.tolerations,
  };
}
