/**
 * The library: the constructs another cdk8s app adds to its own chart. The YAML flow
 * (clusters/<name>.yaml → dist/<name>/) is this repository's command line and is not part of it.
 */
export { AssetsBootstrap, type AssetsBootstrapProps } from './constructs/assets-bootstrap.ts';
export { AssetsHelmRelease, type AssetsHelmReleaseProps } from './constructs/assets-helm-release.ts';
export { AssetsHelmRepository, type AssetsHelmRepositoryProps } from './constructs/assets-helm-repository.ts';
export { AssetsServer, type AssetsServerProps } from './constructs/assets-server.ts';
export { BootstrapNamespace, type BootstrapNamespaceProps, PodSecurityLevel } from './constructs/bootstrap-namespace.ts';
export { CertIssuer, type CertIssuerProps } from './constructs/cert-issuer.ts';
export { FluxSync, type FluxSyncProps, type HealthCheckRef } from './constructs/flux-sync.ts';
export { ApiEndpoint } from './contract/api-endpoint.ts';
export type { HelmRepositoryRef } from './contract/issuer-flags.ts';
export type { KeyBits } from './contract/issuer-api.ts';
// The subjects a grant takes are cdk8s-plus's own, so its Users, Groups and ServiceAccounts fit.
export { Group, type ISubject, type IServiceAccount, ServiceAccount, User } from 'cdk8s-plus-28';
