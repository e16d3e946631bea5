import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { requestShape } from '../contract/csr-encoding.ts';
import { CSR_USAGES } from '../contract/issuer-api.ts';
import { PART_OF } from './hardening.ts';
import { csrAdmissionPolicyName, serviceAccountUser } from './names.ts';

export interface CsrAdmissionPolicyProps {
  /** Namespace of the issuer's ServiceAccount. */
  readonly namespace: string;
  /** The issuer's ServiceAccount: the only user whose requests the policy judges. */
  readonly serviceAccountName: string;
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

/** One CEL rule of a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1). */
export interface AdmissionValidation {
  /** True when the request is allowed. */
  readonly expression: string;
  /** A CEL string expression for the denial message. */
  readonly messageExpression: string;
}

/** The parts of a ValidatingAdmissionPolicy's spec (admissionregistration.k8s.io/v1) this construct writes. */
export interface ValidatingAdmissionPolicySpec {
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly matchConstraints: {
    readonly resourceRules: readonly {
      readonly apiGroups: readonly string[];
      readonly apiVersions: readonly string[];
      readonly operations: readonly ('CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT')[];
      readonly resources: readonly string[];
    }[];
  };
  readonly matchConditions: readonly { readonly name: string; readonly expression: string }[];
  readonly variables: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly AdmissionValidation[];
}

/** The spec of a ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1). */
export interface ValidatingAdmissionPolicyBindingSpec {
  readonly policyName: string;
  readonly validationActions: readonly ('Deny' | 'Warn' | 'Audit')[];
}

const API_VERSION = 'admissionregistration.k8s.io/v1';

/**
 * Makes the API server itself refuse every CSR the issuer's ServiceAccount would not create, so a
 * stolen issuer token mints nothing but the reader's certificate. RBAC cannot narrow `create` on
 * CSRs or `approve` for a signer to one subject, and the program's own check before approval
 * protects nothing when someone else holds the token.
 *
 * On create (and again on approval, for CSRs made before the policy existed): the signer, the
 * exact usages, a lifetime no longer than configured, and `spec.request` in the issuer's one
 * encoding (src/contract/csr-encoding.ts), which pins the subject, the key algorithm and size, and
 * the PEM layout. On approval: only the issuer's own CSRs.
 */
export class CsrAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: CsrAdmissionPolicyProps) {
    super(scope, id);
    const username = serviceAccountUser(props.namespace, props.serviceAccountName);
    const subject = `CN=${props.commonName}${props.organization === undefined ? '' : `, O=${props.organization}`}`;
    const shape = requestShape({ commonName: props.commonName, organization: props.organization }, props.keyBits);
    const refused = `CSR refused by the ${props.namespace}/${props.serviceAccountName} issuer policy:`;
    this.policyName = csrAdmissionPolicyName(props.namespace, props.serviceAccountName);

    const spec: ValidatingAdmissionPolicySpec = {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: ['certificates.k8s.io'], apiVersions: ['*'], operations: ['CREATE'], resources: ['certificatesigningrequests'] },
          { apiGroups: ['certificates.k8s.io'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['certificatesigningrequests/approval'] },
        ],
      },
      matchConditions: [{ name: 'issuer', expression: `request.userInfo.username == ${cel(username)}` }],
      // On approval the stored CSR is what gets approved, whatever the request body says.
      variables: [{ name: 'csr', expression: "request.operation == 'CREATE' ? object : oldObject" }],
      validations: [
        {
          expression: `request.operation == 'CREATE' || variables.csr.spec.username == request.userInfo.username`,
          messageExpression: `${cel(`${refused} it may approve only its own CSRs; `)} + variables.csr.metadata.name + ' was requested by ' + variables.csr.spec.username`,
        },
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
      ],
    };
    new ApiObject(this, 'Policy', {
      apiVersion: API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: this.policyName, labels: { ...PART_OF } },
      spec,
    });
    const bindingSpec: ValidatingAdmissionPolicyBindingSpec = { policyName: this.policyName, validationActions: ['Deny'] };
    new ApiObject(this, 'Binding', {
      apiVersion: API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: this.policyName, labels: { ...PART_OF } },
      spec: bindingSpec,
    });
  }
}

/** A CEL string literal; JSON's escaping is valid CEL. */
function cel(text: string): string {
  return JSON.stringify(text);
}

function celList(items: readonly string[]): string {
  return `[${items.map(cel).join(', ')}]`;
}
