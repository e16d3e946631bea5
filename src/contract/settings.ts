/**
 * The one model of the bootstrap's settings. Each setting is declared once, here or in
 * issuer-settings.ts: its name as users write it in `clusters/<name>.yaml`, its type and rule,
 * its default and its doc. The config
 * loader, the JSON Schema, the README's reference, the constructs' props and defaults, the
 * issuer's flags and doctor all take it from here.
 *
 * The field groups are exported as well as the sections, so a construct's props can be made of
 * the groups it uses (`object({ ...ASSETS_FIELDS, ...POD_FIELDS })`) with the same declarations.
 * The sections the issuer reads as flags too (`repositories`, `certificate`, `issuer`) are in
 * issuer-settings.ts, so that its bundle carries their rules and no others.
 */
import { API_ENDPOINT_PATTERN, ApiEndpoint } from './api-endpoint.ts';
import { CHART_NAME, FILE_PATH, FLUX_DURATION, GIT_BRANCH, GIT_URL, PINNED_IMAGE, RELEASE_NAME, REPOSITORY_PATH } from './formats.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, LABEL_VALUE, QUALIFIED_NAME, STATEFULSET_NAME, type TextRule } from './names.ts';
import { CERTIFICATE_FIELDS, FLUX_INTERVAL, ISSUER_FIELDS, REPOSITORY_FIELDS } from './issuer-settings.ts';
import { resourcesField } from './resources.ts';
import {
  array, converted, type Input, integer, mapping, object, oneOf, optional, type Output, required, stringMap, text,
} from './settings-schema.ts';
import { semverRangeProblem, VERSION_RANGE } from './semver-range.ts';

export const ENDPOINT_FIELD = required(
  converted(text(), (value) => ApiEndpoint.parse(value), API_ENDPOINT_PATTERN, (value): value is ApiEndpoint => value instanceof ApiEndpoint),
  '`host:port` of the API endpoint Flux and the issuer use, e.g. `localhost:7445` or `api.example.org:6443`. No scheme, no path; IPv6 in brackets.',
);

export const ASSETS_FIELDS = {
  namespace: required(text(DNS_LABEL), 'Namespace of the assets StatefulSet, the reader Role and the issuer. Labelled Pod Security `privileged` (hostNetwork), unless it is one of `existingNamespaces`.'),
  name: required(text(STATEFULSET_NAME), 'StatefulSet and headless Service name (at most 52 characters); the pod is always `<name>-0`.'),
  image: required(text(PINNED_IMAGE), 'Static HTTP server image that serves `/repos/<repo>/index.yaml` on `assets.port` (see [The assets server\'s contract](#the-assets-servers-contract)). Pinned by digest or a tag other than `latest`.'),
  // The server runs as non-root with every capability dropped, so it cannot bind below 1024.
  port: optional(integer({ min: 1024, max: 65535 }), 'Container and host port, 1024–65535 (the server runs as non-root).', 8123),
  resources: resourcesField('the server', { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }),
};

export { CERTIFICATE_FIELDS, ISSUER_FIELDS, REPOSITORY_FIELDS };
export const REPOSITORY = object(REPOSITORY_FIELDS);
const REPOSITORIES = array(REPOSITORY, { minItems: 1, uniqueBy: 'name', why: 'each repository is served at /repos/<name> only once' });

/** The API's rules for a toleration (k8s.io/kubernetes pkg/apis/core/validation, ValidateTolerations). */
export const TOLERATION = object({
  key: optional(text(QUALIFIED_NAME), 'The taint key to tolerate; without one, the toleration matches every taint.'),
  operator: optional(oneOf(['Exists', 'Equal'] as const), 'How `value` is compared.', undefined, '`Equal` when `value` is set, else `Exists`'),
  value: optional(text(LABEL_VALUE), 'The taint value, with operator `Equal`.'),
  effect: optional(oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const), 'The taint effect to tolerate.', undefined, 'every effect'),
  tolerationSeconds: optional(integer({ min: 0, max: 2 ** 31 - 1 }), 'How long a `NoExecute` taint is tolerated before the pod is evicted.', undefined, 'forever'),
}, [
  { when: { field: 'key', is: 'absent' }, then: { field: 'operator', notEquals: 'Equal' }, message: 'must be Exists when key is empty (the API requires it: a toleration without a key matches every taint)' },
  { when: { field: 'key', is: 'absent' }, then: { field: 'value', is: 'absent' }, message: 'must be empty when key is empty (a toleration without a key matches every taint, whatever its value)' },
  { when: { field: 'operator', equals: 'Exists' }, then: { field: 'value', is: 'absent' }, message: 'must be empty when operator is Exists (the API refuses a value there)' },
  { when: { field: 'tolerationSeconds', is: 'present' }, then: { field: 'effect', equals: 'NoExecute' }, message: 'must be NoExecute when tolerationSeconds is set (the API refuses tolerationSeconds with any other effect)' },
]);

/**
 * A node label's value in a selector. IsValidLabelValue takes the empty value, and selectors
 * need it: `node-role.kubernetes.io/control-plane: ""` is how that label is set.
 */
const NODE_LABEL_VALUE: TextRule = {
  what: LABEL_VALUE.what.replace('a label value (', 'a label value (empty, or '),
  pattern: new RegExp(`^(?:${LABEL_VALUE.pattern.source.slice(1, -1)})?$`),
  minLength: 0,
  maxLength: LABEL_VALUE.maxLength,
};

/** Where and how the bootstrap's pods (the assets server and the issuer) are scheduled and pulled. */
export const POD_FIELDS = {
  tolerations: optional(array(TOLERATION), 'Extra tolerations for both pods, added to the built-in ones (not-ready, unreachable, network-unavailable, uninitialized, control-plane, `node.cilium.io/agent-not-ready`).', [], 'none'),
  nodeSelector: optional(stringMap(QUALIFIED_NAME, NODE_LABEL_VALUE), 'Labels a node must carry to run either pod, e.g. `node-role.kubernetes.io/control-plane: ""` to keep both on control-plane nodes. Keys are qualified names; values are label values, which may be empty.', {}, 'none'),
  priorityClassName: optional(text(DNS_SUBDOMAIN), 'PriorityClass of both pods, e.g. `system-cluster-critical` or one of your own, so that they are scheduled ahead of what they bootstrap. It must exist; where a ResourceQuota admission config limits the `system-*` classes, a ResourceQuota in `assets.namespace` must allow it.', undefined, "none: the cluster's default priority"),
  imagePullSecrets: optional(array(text(DNS_SUBDOMAIN), { uniqueItems: true, why: "server-side apply keys the pod's list by name" }), 'Secrets in `assets.namespace` (`kubernetes.io/dockerconfigjson`) that both pods pull their images with, for a private registry. Created by hand; never in Git.', [], 'none'),
};

export const FLUX_FIELDS = {
  url: required(text(GIT_URL), 'Git URL of the repository that holds `clusters/` and `dist/`, e.g. `https://git.example.org/fleet.git`. No user, token or password: an `ssh://` URL names only the user (`ssh://git@host/...`), and credentials go in the Secret of `flux.secretName`.'),
  branch: optional(text(GIT_BRANCH), 'Branch Flux follows.', 'main'),
  secretName: optional(text(DNS_SUBDOMAIN), 'Existing Secret in `flux-system` with the Git credentials (username/password, a token or an SSH key). Created by hand; never in Git.', undefined, 'none: a public repository'),
  interval: optional(text(FLUX_DURATION), 'How often Flux fetches the branch and re-applies the folder.', '1m'),
  path: optional(text(REPOSITORY_PATH), 'Folder of the repository that this cluster applies.', undefined, '`./dist/<cluster>`'),
};

/** How often helm-controller retries a failed install or upgrade before it remediates for good. */
const REMEDIATION_RETRIES = integer({ min: 0, max: 100 });
const INSTALL = object({
  retries: optional(REMEDIATION_RETRIES, 'Retries after a failed install; each failed attempt is uninstalled first.', 3),
});
const UPGRADE = object({
  retries: optional(REMEDIATION_RETRIES, 'Retries after a failed upgrade.', 3),
  strategy: optional(oneOf(['rollback', 'uninstall'] as const), 'What to do once the upgrade retries are spent: roll back to the last release that worked, or uninstall.', 'rollback'),
});

export const RELEASE_FIELDS = {
  name: required(text(RELEASE_NAME), 'HelmRelease and Helm release name (at most 53 characters); unique in the config.'),
  namespace: required(text(DNS_LABEL), 'Namespace of the HelmRelease and of what the chart installs; synthesized unless the bootstrap has it already or it exists before the bootstrap (see `existingNamespaces`).'),
  repository: required(text(DNS_LABEL), 'The `repositories[].name` the chart comes from, through the pod proxy with the issued certificate.'),
  chart: required(text(CHART_NAME), "Chart name in that repository's index."),
  version: optional(text(VERSION_RANGE, semverRangeProblem), "Semver range of the chart version. The default takes no pre-releases (Flux's own default); write a range with a pre-release part, such as `>=0.0.0-0`, to take them.", '*'),
  interval: optional(text(FLUX_DURATION), 'How often helm-controller checks the release and its chart.', FLUX_INTERVAL),
  values: optional(mapping(), 'Values passed to the chart.', undefined, "the chart's defaults"),
  dependsOn: optional(array(text(RELEASE_NAME)), 'Names of releases in this config that must be Ready before this one installs or upgrades.', [], 'none'),
  install: optional(INSTALL, 'Install remediation.', INSTALL.fill({})),
  upgrade: optional(UPGRADE, 'Upgrade remediation.', UPGRADE.fill({})),
};

export const ASSETS = object(ASSETS_FIELDS);
export const CERTIFICATE = object(CERTIFICATE_FIELDS);
export const ISSUER = object(ISSUER_FIELDS, [
  { when: { field: 'image', is: 'present' }, then: { field: 'nodeImage', is: 'absent' }, message: 'must be absent when issuer.image is set: that image brings its own Node' },
]);
export const FLUX = object(FLUX_FIELDS);
export const RELEASE = object(RELEASE_FIELDS);

/**
 * The namespaces the bootstrap must not own. The folder is applied with `prune: true`, so a
 * Namespace it held and then leaves out would be deleted with everything in it.
 */
const EXISTING_NAMESPACES = optional(
  array(text(DNS_LABEL), { uniqueItems: true, why: 'each namespace is listed once' }),
  "Namespaces that exist before the bootstrap and that it does not own: it puts objects in them but never writes them as Namespace objects, so it sets none of their labels and no config change can delete them. Kubernetes' own (`default`, `kube-system`, `kube-public`, `kube-node-lease`) and `flux-system` always count as existing. An existing `assets.namespace` must already allow privileged pods (`pod-security.kubernetes.io/enforce: privileged`): the server and the issuer use the host network.",
  [],
  "none but Kubernetes' own and `flux-system`",
);

const BOOTSTRAP_SECTIONS = {
  assets: required(ASSETS, 'The in-cluster HTTP server that Flux reads charts from through the pod proxy.'),
  repositories: required(REPOSITORIES, 'The Helm repositories the assets server serves, one HelmRepository each.'),
  certificate: required(CERTIFICATE, "Flux's client certificate and the Secret that holds it."),
  issuer: optional(ISSUER, 'The Job and CronJob that issue and renew the certificate.', ISSUER.fill({})),
  ...POD_FIELDS,
  existingNamespaces: EXISTING_NAMESPACES,
};

/** The schema of a `clusters/<name>.yaml`, before the file-level fields (name, CA file) are resolved. */
export const CLUSTER_FILE = object({
  endpoint: ENDPOINT_FIELD,
  apiCAFile: optional(text(FILE_PATH), "PEM file (relative to the config) with the CA that verifies `endpoint`, for endpoints whose serving certificate is not signed by the cluster CA. It is shipped in a ConfigMap, used by the issuer to reach the API, and written as the Secret's `ca.crt`.", undefined, 'the cluster CA'),
  ...BOOTSTRAP_SECTIONS,
  flux: optional(FLUX, 'With it, the folder holds a GitRepository and a Kustomization `flux-assets-bootstrap` in `flux-system` that apply it from Git with `prune: true` (see [Applying](#applying)).', undefined, 'no sync objects'),
  releases: optional(array(RELEASE, { uniqueBy: 'name', why: '`dependsOn` names releases' }), 'HelmReleases that install charts from the assets repositories (see [Applying](#applying)).', [], 'none'),
});

/**
 * What the AssetsBootstrap construct takes: the config's sections, with the CA as the PEM text the
 * config's `apiCAFile` holds.
 */
export const BOOTSTRAP = object({
  endpoint: ENDPOINT_FIELD,
  ...BOOTSTRAP_SECTIONS,
  apiCA: optional(text(), 'PEM bundle that verifies `endpoint`; it also becomes the Secret\'s `ca.crt`.', undefined, 'the cluster CA'),
});

export type TolerationSettings = Input<typeof TOLERATION>;
export type ReleaseSettings = Output<typeof RELEASE>;

/**
 * A loaded `clusters/<name>.yaml`: its settings with their defaults, the cluster's name (the file's
 * base name), the file, the content of `apiCAFile`, and the Flux folder resolved.
 */
export type ClusterConfig = Omit<Output<typeof CLUSTER_FILE>, 'apiCAFile' | 'flux'> & {
  readonly name: string;
  readonly file: string;
  readonly apiCA?: string;
  readonly flux?: Output<typeof FLUX> & { readonly path: string };
};
