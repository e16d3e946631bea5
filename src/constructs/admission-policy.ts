import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PART_OF } from './hardening.ts';
import { issuerPolicyName, type IssuerPolicyResource, serviceAccountUser } from './names.ts';

/** One CEL rule of a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1). */
export interface AdmissionValidation {
  /** True when the request is allowed. */
  readonly expression: string;
  /** A CEL string expression for the denial message. */
  readonly messageExpression: string;
}

type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The parts of a ValidatingAdmissionPolicy's spec (admissionregistration.k8s.io/v1) the issuer's policies write. */
export interface ValidatingAdmissionPolicySpec {
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly matchConstraints: {
    readonly resourceRules: readonly {
      readonly apiGroups: readonly string[];
      readonly apiVersions: readonly string[];
      readonly operations: readonly Operation[];
      readonly resources: readonly string[];
    }[];
  };
  readonly matchConditions: readonly { readonly name: string; readonly expression: string }[];
  readonly variables?: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly AdmissionValidation[];
}

/** The spec of a ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1). */
export interface ValidatingAdmissionPolicyBindingSpec {
  readonly policyName: string;
  readonly validationActions: readonly ('Deny' | 'Warn' | 'Audit')[];
}

/** Whose writes a policy of the issuer's family judges. */
export interface IssuerPolicyScope {
  /** Namespace of the issuer's ServiceAccount. */
  readonly namespace: string;
  /** The issuer's ServiceAccount: the only user whose requests the policy judges. */
  readonly serviceAccountName: string;
}

export interface IssuerAdmissionPolicyProps extends IssuerPolicyScope {
  /** The resource the policy judges, which also names it. */
  readonly resource: IssuerPolicyResource;
  /** The API group of `resource` (`''` for the core group). */
  readonly apiGroup: string;
  /** The operations it judges, on `resource` or its subresources. */
  readonly rules: readonly { readonly operations: readonly Operation[]; readonly subresource?: string }[];
  /**
   * CEL variables the validations read.
   * @default - none
   */
  readonly variables?: readonly { readonly name: string; readonly expression: string }[];
  /** Every rule a request must pass. */
  readonly validations: readonly AdmissionValidation[];
}

const API_VERSION = 'admissionregistration.k8s.io/v1';

/**
 * One policy of the issuer's family: a ValidatingAdmissionPolicy that judges only the requests of
 * the issuer's ServiceAccount, fails closed, and its binding, which denies. RBAC names the objects
 * the issuer may write; a policy says what it may write into them, which RBAC cannot.
 */
export class IssuerAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: IssuerAdmissionPolicyProps) {
    super(scope, id);
    this.policyName = issuerPolicyName(props.namespace, props.serviceAccountName, props.resource);
    const spec: ValidatingAdmissionPolicySpec = {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: props.rules.map(({ operations, subresource }) => ({
          apiGroups: [props.apiGroup],
          apiVersions: ['*'],
          operations,
          resources: [subresource === undefined ? props.resource : `${props.resource}/${subresource}`],
        })),
      },
      matchConditions: [{ name: 'issuer', expression: `request.userInfo.username == ${cel(serviceAccountUser(props.namespace, props.serviceAccountName))}` }],
      ...(props.variables && { variables: props.variables }),
      validations: props.validations,
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

/** The start of every denial message of the issuer's policies. */
export function refusedBy(what: string, scope: IssuerPolicyScope): string {
  return `${what} refused by the ${scope.namespace}/${scope.serviceAccountName} issuer policy:`;
}

/** A CEL string literal; JSON's escaping is valid CEL. */
export function cel(text: string): string {
  return JSON.stringify(text);
}

export function celList(items: readonly string[]): string {
  return `[${items.map(cel).join(', ')}]`;
}

/** CEL variables and rules of a policy. */
export interface AdmissionRules {
  readonly variables: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly AdmissionValidation[];
}

/**
 * Rules that keep a create or update from writing metadata the issuer does not write: of the
 * labels and annotations it may set only the `allowed` keys, and every other key keeps its value
 * and none goes; owners and finalizers stay as they were (none on create). A new owner would have
 * the garbage collector delete the object with that owner, and a finalizer keeps it from going.
 */
export function metadataKept(refused: string, allowed: { readonly labels: readonly string[]; readonly annotations: readonly string[] }): AdmissionRules {
  const before = (field: string, empty: string) => `request.operation == 'UPDATE' && has(oldObject.metadata.${field}) ? oldObject.metadata.${field} : ${empty}`;
  const after = (field: string, empty: string) => `has(object.metadata.${field}) ? object.metadata.${field} : ${empty}`;
  const maps = (['labels', 'annotations'] as const).map((field) => ({ field, keys: allowed[field], was: `${field}Before` }));
  return {
    variables: maps.flatMap(({ field, was }) => [
      { name: field, expression: after(field, '{}') },
      { name: was, expression: before(field, '{}') },
    ]),
    validations: [
      ...maps.map(({ field, keys, was }) => ({
        expression: `variables.${field}.all(k, k in ${celList(keys)} || (k in variables.${was} && variables.${was}[k] == variables.${field}[k])) && variables.${was}.all(k, k in ${celList(keys)} || k in variables.${field})`,
        messageExpression: cel(keys.length === 0
          ? `${refused} metadata.${field} may not change`
          : `${refused} of metadata.${field} it may set only ${keys.join(', ')}; every other key must stay as it was`),
      })),
      ...['ownerReferences', 'finalizers'].map((field) => ({
        expression: `(${after(field, '[]')}) == (${before(field, '[]')})`,
        messageExpression: cel(`${refused} metadata.${field} may not change`),
      })),
    ],
  };
}
