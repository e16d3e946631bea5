import { Construct } from 'constructs';
import { RECONCILE_REQUESTED_AT_ANNOTATION } from '../contract/issuer-api.ts';
import { cel, IssuerAdmissionPolicy, type IssuerPolicyScope, metadataKept, refusedBy } from './admission-policy.ts';

/**
 * Makes the API server refuse every change the issuer's ServiceAccount makes to a HelmRepository
 * but Flux's reconcile request. RBAC's `patch` with `resourceNames` names the object, not the
 * field, so without this a stolen token points `spec.url` at its own server, and Flux installs its
 * charts with helm-controller's rights, or suspends the repository.
 *
 * On update: the same spec, labels, owners and finalizers as before, and no annotation changed but
 * `reconcile.fluxcd.io/requestedAt`.
 */
export class HelmRepositoryAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: IssuerPolicyScope) {
    super(scope, id);
    const refused = refusedBy('HelmRepository change', props);
    const metadata = metadataKept(refused, { labels: [], annotations: [RECONCILE_REQUESTED_AT_ANNOTATION] });
    const policy = new IssuerAdmissionPolicy(this, 'Resource', {
      ...props,
      resource: 'helmrepositories',
      apiGroup: 'source.toolkit.fluxcd.io',
      rules: [{ operations: ['UPDATE'] }],
      variables: metadata.variables,
      validations: [
        {
          expression: 'object.spec == oldObject.spec',
          messageExpression: cel(`${refused} it may change only the ${RECONCILE_REQUESTED_AT_ANNOTATION} annotation; the spec (url, suspend, interval, certSecretRef, ...) must stay as it is`),
        },
        ...metadata.validations,
      ],
    });
    this.policyName = policy.policyName;
  }
}
