import { Construct } from 'constructs';
import { requestShape } from '../contract/csr-encoding.ts';
import { CSR_USAGES } from '../contract/issuer-api.ts';
import { type AdmissionValidation, cel, celList, IssuerAdmissionPolicy, type IssuerPolicyScope, refusedBy } from './admission-policy.ts';

export interface CsrAdmissionPolicyProps extends IssuerPolicyScope {
  /** The only signer the issuer may ask. */
  readonly signerName: string;
  /** The only CN the issuer may request. */
  readonly commonName: string;
  /**
   * The only Organization the issuer may request.
   * @default - none: a request with any O is refused
   */
  readonly organization?: string;
  /** The RSA key size every request must carry. */
  readonly keyBits: number;
  /** The longest lifetime (`spec.expirationSeconds`) a request may ask for. */
  readonly maxExpirationSeconds: number;
}

/**
 * Makes the API server itself refuse every CSR the issuer's ServiceAccount would not create, so a
 * stolen issuer token mints nothing but the reader's certificate. RBAC cannot narrow `create` on
 * CSRs, `approve` for a signer or `delete` to one subject, and the program's own check before
 * approval protects nothing when someone else holds the token.
 *
 * On create (and again on approval, for CSRs made before the policy existed): the signer, the
 * exact usages, a lifetime no longer than configured, and `spec.request` in the issuer's one
 * encoding (src/contract/csr-encoding.ts), which pins the subject, the key algorithm and size, and
 * the PEM layout. On approval and delete: only the issuer's own CSRs.
 */
export class CsrAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: CsrAdmissionPolicyProps) {
    super(scope, id);
    const subject = `CN=${props.commonName}${props.organization === undefined ? '' : `, O=${props.organization}`}`;
    const shape = requestShape({ commonName: props.commonName, organization: props.organization }, props.keyBits);
    const refused = refusedBy('CSR', props);
    // What a request may ask for; a delete asks for nothing, and only whose CSR it is matters.
    const requestRules: AdmissionValidation[] = [
      {
        expression: `variables.csr.spec.signerName == ${cel(props.signerName)}`,
        messageExpression: `${cel(`${refused} signerName must be ${props.signerName}, not `)} + variables.csr.spec.signerName`,
      },
      {
        expression: `has(variables.csr.spec.usages) && size(variables.csr.spec.usages) == ${CSR_USAGES.length} && ${celList(CSR_USAGES)}.all(u, u in variables.csr.spec.usages)`,
        messageExpression: `${cel(`${refused} usages must be exactly [${CSR_USAGES.join(', ')}], not `)} + '[' + (has(variables.csr.spec.usages) ? variables.csr.spec.usages.join(', ') : '') + ']'`,
      },
      {
        expression: `has(variables.csr.spec.expirationSeconds) && variables.csr.spec.expirationSeconds <= ${props.maxExpirationSeconds}`,
        messageExpression: `${cel(`${refused} expirationSeconds must be set and at most ${props.maxExpirationSeconds}, not `)} + (has(variables.csr.spec.expirationSeconds) ? string(variables.csr.spec.expirationSeconds) : 'unset')`,
      },
      {
        expression: `variables.csr.spec.request.startsWith(${cel(shape.prefix)})`,
        messageExpression: cel(`${refused} the request must be for exactly ${subject} with an RSA ${props.keyBits}-bit key, and start as the issuer's own CERTIFICATE REQUEST block does; this one has another subject, key, label or layout`),
      },
      {
        expression: `size(variables.csr.spec.request) == ${shape.length} && variables.csr.spec.request.matches(${cel(shape.pattern)})`,
        messageExpression: cel(`${refused} the request must be one PEM block in the issuer's encoding (64-character base64 lines, nothing before or after it); extra text, whitespace, line breaks or blocks are refused`),
      },
    ];
    const policy = new IssuerAdmissionPolicy(this, 'Resource', {
      ...props,
      resource: 'certificatesigningrequests',
      apiGroup: 'certificates.k8s.io',
      rules: [{ operations: ['CREATE', 'DELETE'] }, { operations: ['UPDATE'], subresource: 'approval' }],
      // On approval the stored CSR is what gets approved, whatever the request body says; on
      // delete there is no request body.
      variables: [{ name: 'csr', expression: "request.operation == 'CREATE' ? object : oldObject" }],
      validations: [
        {
          expression: `request.operation == 'CREATE' || variables.csr.spec.username == request.userInfo.username`,
          messageExpression: `${cel(`${refused} it may `)} + (request.operation == 'DELETE' ? 'delete' : 'approve') + ${cel(' only its own CSRs; ')} + variables.csr.metadata.name + ' was requested by ' + variables.csr.spec.username`,
        },
        ...requestRules.map((rule) => ({ ...rule, expression: `request.operation == 'DELETE' || (${rule.expression})` })),
      ],
    });
    this.policyName = policy.policyName;
  }
}
