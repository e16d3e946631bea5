/**
 * The library: the constructs another cdk8s app adds to its own chart. The YAML flow
 * (clusters/<name>.yaml → dist/<name>/) is this repository's command line and is not part of it.
 */
export { ApiEndpoint } from './api-endpoint.ts';
export { AssetsBootstrap, type AssetsBootstrapProps, type AssetsRepository } from './assets-bootstrap.ts';
export { AssetsHelmRelease, type AssetsHelmReleaseProps, UpgradeRemediation } from './assets-helm-release.ts';
export { AssetsHelmRepository, type AssetsHelmRepositoryProps } from './assets-helm-repository.ts';
export { AssetsServer, type AssetsServerProps } from './assets-server.ts';
export { BootstrapNamespace, type BootstrapNamespaceProps, PodSecurityLevel } from './bootstrap-namespace.ts';
export { CertIssuer, type CertIssuerProps } from './cert-issuer.ts';
export { FluxSync, type FluxSyncProps, type HealthCheckRef } from './flux-sync.ts';
export type { HelmRepositoryRef, KeyBits } from '../jobs/src/issuer-contract.ts';
// The subjects a grant takes are cdk8s-plus's own, so its Users, Groups and ServiceAccounts fit.
export { Group, type ISubject, type IServiceAccount, ServiceAccount, User } from 'cdk8s-plus-28';
