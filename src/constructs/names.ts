/**
 * The names the constructs give that something else must find again: doctor looks up the live
 * objects by them, and a user re-runs the issuer or reads a repository by them. Each is built here
 * once, so a construct and whoever looks for its object cannot drift apart.
 */
import { ISSUER_SERVICE_ACCOUNT_NAME } from '../contract/issuer-api.ts';

/** The assets server's one pod: a StatefulSet names its pods `<name>-<ordinal>`, and it has one replica. */
export function assetsPodName(serverName: string): string {
  return `${serverName}-0`;
}

/**
 * The API path of one repository on the assets pod, through the API server's pod proxy: a
 * HelmRepository's URL is the endpoint plus this path, and Helm reads `<path>/index.yaml`.
 */
export function podProxyPath(namespace: string, pod: string, repo: string): string {
  return `/api/v1/namespaces/${namespace}/pods/${pod}/proxy/repos/${repo}`;
}

/** The issuer's renewal CronJob, in the issuer's namespace: `kubectl create job --from=cronjob/<it>` runs the issuer now. */
export const RENEWAL_CRONJOB_NAME = 'cert-issuer-renewal';

/** The `app.kubernetes.io/name` of the issuer's objects: its Jobs, the renewal's among them, carry it. */
export const ISSUER_APP_NAME = 'cert-issuer';
/** How every Job of the issuer's is named: the one-shot `cert-issuer-<hash>` and the renewal's runs. */
export const ISSUER_JOB_PREFIX = `${ISSUER_APP_NAME}-`;

/** The namespace flux-aio (and `flux install`) runs in; the sync objects live there. */
export const FLUX_NAMESPACE = 'flux-system';
/** Name of the sync GitRepository and Kustomization. */
export const FLUX_SYNC_NAME = 'flux-assets-bootstrap';

/** The user the API server sees for the tokens of a ServiceAccount. */
export function serviceAccountUser(namespace: string, serviceAccountName: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

/** The user the API server sees for the issuer's tokens; the issuer runs in `namespace`. */
export function issuerUser(namespace: string): string {
  return serviceAccountUser(namespace, ISSUER_SERVICE_ACCOUNT_NAME);
}

/** The resources the issuer writes, each judged by one admission policy of its own. */
export const ISSUER_POLICY_RESOURCES = ['certificatesigningrequests', 'secrets', 'helmrepositories', 'events'] as const;
export type IssuerPolicyResource = (typeof ISSUER_POLICY_RESOURCES)[number];

/**
 * The name of the issuer's admission policy for `resource`, and of its binding (cluster-scoped,
 * hence the namespace in it).
 */
export function issuerPolicyName(namespace: string, serviceAccountName: string, resource: IssuerPolicyResource): string {
  return `${resource}.${namespace}.${serviceAccountName}.flux-assets-bootstrap.io`;
}
