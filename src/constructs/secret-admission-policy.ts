import { Construct } from 'constructs';
import { MANAGED_LABELS, SECRET_ANNOTATIONS, TLS_SECRET_KEYS, TLS_SECRET_TYPE } from '../contract/issuer-api.ts';
import { cel, celList, IssuerAdmissionPolicy, type IssuerPolicyScope, metadataKept, refusedBy } from './admission-policy.ts';

export interface SecretAdmissionPolicyProps extends IssuerPolicyScope {
  /** The only Secret name the issuer may write. */
  readonly secretName: string;
}

/**
 * Makes the API server refuse every Secret write of the issuer's ServiceAccount but its own TLS
 * Secret, as the issuer writes it. RBAC cannot narrow `create` by name, so without this a stolen
 * token creates any Secret in a repository namespace, among them a
 * `kubernetes.io/service-account-token` Secret that Kubernetes fills with a token of any
 * ServiceAccount there.
 *
 * On create and update: the configured name, type `kubernetes.io/tls`, exactly the keys the issuer
 * writes, its labels, and no other label, annotation, owner or finalizer than the Secret had
 * before; never immutable, which would stop every renewal.
 */
export class SecretAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: SecretAdmissionPolicyProps) {
    super(scope, id);
    const refused = refusedBy('Secret', props);
    const managedLabels = Object.entries(MANAGED_LABELS);
    const metadata = metadataKept(refused, { labels: Object.keys(MANAGED_LABELS), annotations: [...SECRET_ANNOTATIONS] });
    const policy = new IssuerAdmissionPolicy(this, 'Resource', {
      ...props,
      resource: 'secrets',
      apiGroup: '',
      rules: [{ operations: ['CREATE', 'UPDATE'] }],
      variables: metadata.variables,
      validations: [
        {
          expression: `object.metadata.name == ${cel(props.secretName)}`,
          messageExpression: `${cel(`${refused} it may write only the Secret ${props.secretName}, not `)} + object.metadata.name`,
        },
        {
          expression: `has(object.type) && object.type == ${cel(TLS_SECRET_TYPE)}`,
          messageExpression: `${cel(`${refused} the type must be ${TLS_SECRET_TYPE}, not `)} + (has(object.type) ? object.type : 'unset')`,
        },
        {
          expression: `has(object.data) && size(object.data) == ${TLS_SECRET_KEYS.length} && ${celList(TLS_SECRET_KEYS)}.all(k, k in object.data)`,
          messageExpression: `${cel(`${refused} data must hold exactly ${TLS_SECRET_KEYS.join(', ')}, not [`)} + (has(object.data) ? object.data.map(k, k).join(', ') : '') + ']'`,
        },
        {
          expression: managedLabels.map(([k, v]) => `variables.labels[?${cel(k)}] == optional.of(${cel(v)})`).join(' && '),
          messageExpression: cel(`${refused} it must carry the labels ${managedLabels.map(([k, v]) => `${k}=${v}`).join(', ')}`),
        },
        ...metadata.validations,
        {
          expression: '!has(object.immutable) || !object.immutable',
          messageExpression: cel(`${refused} it may not make the Secret immutable (no renewal could replace it)`),
        },
      ],
    });
    this.policyName = policy.policyName;
  }
}
