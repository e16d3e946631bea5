import type { ISubject, k8s } from 'cdk8s-plus-28';

/**
 * A subject as a binding lists it. A ServiceAccount's API group is the core group, which
 * cdk8s-plus writes as `''` and the API server fills in itself, so it is left out.
 */
export function bindingSubject(subject: ISubject): k8s.Subject {
  const { apiGroup, kind, name, namespace } = subject.toSubjectConfiguration();
  return { apiGroup: apiGroup === '' || apiGroup === 'core' ? undefined : apiGroup, kind, name, namespace };
}

/** The reference a binding makes to `role`, taken from the role object itself. */
export function roleRef(role: k8s.KubeRole | k8s.KubeClusterRole): k8s.RoleRef {
  return { apiGroup: role.apiGroup, kind: role.kind, name: role.name };
}
