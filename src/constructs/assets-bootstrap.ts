import { Chart } from 'cdk8s';
import { type k8s, User } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { KUBE_APISERVER_CLIENT_SIGNER } from '../contract/issuer-api.ts';
import { BOOTSTRAP } from '../contract/settings.ts';
import { asChecked, type Input } from '../contract/settings-schema.ts';
import { AssetsHelmRepository } from './assets-helm-repository.ts';
import { AssetsServer } from './assets-server.ts';
import { BootstrapNamespace, ownedNamespaces, PodSecurityLevel } from './bootstrap-namespace.ts';
import { podSettingsOf } from './bootstrap-pod.ts';
import { CertIssuer } from './cert-issuer.ts';
import { settleProps } from './props.ts';

/**
 * The config's bootstrap sections (`endpoint`, `assets`, `repositories`, `certificate`, `issuer`,
 * the pod settings and `existingNamespaces`; the README's reference documents each field), with
 * the API's CA as PEM text where the config names a file.
 */
export type AssetsBootstrapProps = Input<typeof BOOTSTRAP>;

/**
 * Everything one cluster needs so that Flux can install charts from an in-cluster assets server
 * before the cluster has a CNI: the namespaces it owns, the server and its reader, one
 * HelmRepository per repository, and the issuer of Flux's client certificate.
 *
 * Every object names its own namespace. Add it to a chart without a `namespace`: cdk8s would put
 * the chart's on cluster-scoped objects too.
 */
export class AssetsBootstrap extends Construct {
  public readonly server: AssetsServer;
  /** The RoleBinding that lets Flux's certificate read through the pod proxy. */
  public readonly readerBinding: k8s.KubeRoleBinding;
  public readonly helmRepositories: readonly AssetsHelmRepository[];
  public readonly issuer: CertIssuer;

  public constructor(scope: Construct, id: string, props: AssetsBootstrapProps) {
    super(scope, id);
    const settings = settleProps(this, BOOTSTRAP, props);
    const chartNamespace = Chart.of(this).namespace;
    if (chartNamespace !== undefined) {
      this.node.addValidation({ validate: () => [`the chart's namespace ${JSON.stringify(chartNamespace)} would be put on the bootstrap's cluster-scoped objects too; add it to a chart without a namespace`] });
    }
    const { assets, certificate } = settings;
    const repositoryNamespaces = [...new Set(settings.repositories.map((repo) => repo.namespace))];

    for (const namespace of ownedNamespaces([assets.namespace, ...repositoryNamespaces], settings.existingNamespaces)) {
      // The assets server and the issuer run on the host network, which needs "privileged"; an
      // existing assets namespace must allow it already.
      const podSecurity = namespace === assets.namespace ? PodSecurityLevel.PRIVILEGED : undefined;
      new BootstrapNamespace(this, `Namespace-${namespace}`, { name: namespace, podSecurity });
    }

    // The children's props are made of the settings checked above, so they are not checked again.
    this.server = new AssetsServer(this, 'AssetsServer', asChecked({ ...assets, ...podSettingsOf(settings) }));
    // The API server authenticates a client certificate as the User its CN names.
    this.readerBinding = this.server.grantProxyRead(User.fromName(this, 'Reader', certificate.commonName));
    this.helmRepositories = settings.repositories.map((repo) => new AssetsHelmRepository(this, `HelmRepository-${repo.namespace}-${repo.name}`, asChecked({
      ...repo,
      endpoint: settings.endpoint,
      server: this.server,
      secretName: certificate.secretName,
    })));

    this.issuer = new CertIssuer(this, 'CertIssuer', asChecked({
      namespace: assets.namespace,
      endpoint: settings.endpoint,
      apiCA: settings.apiCA,
      certificate,
      issuer: settings.issuer,
      namespaces: repositoryNamespaces,
      refreshHelmRepositories: settings.repositories.map(({ namespace, name }) => ({ namespace, name })),
      signerName: KUBE_APISERVER_CLIENT_SIGNER,
      ...podSettingsOf(settings),
    }));
  }
}
