import type { k8s } from 'cdk8s-plus-28';

/** The non-root uid of distroless images; it owns nothing on the host. */
export const NON_ROOT_UID = 65532;

/** Pod-level security settings shared by every bootstrap pod. */
export const RESTRICTED_POD_SECURITY: k8s.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_UID,
  runAsGroup: NON_ROOT_UID,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Container-level settings that meet the Pod Security "restricted" profile plus a read-only root. */
export const RESTRICTED_CONTAINER_SECURITY: k8s.SecurityContext = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_UID,
  runAsGroup: NON_ROOT_UID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Labels every synthesized object carries, so that `kubectl get -l` finds the whole bootstrap. */
export const PART_OF = { 'app.kubernetes.io/part-of': 'flux-assets-bootstrap' } as const;
