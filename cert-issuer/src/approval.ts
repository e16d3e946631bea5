import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { parseCsr, samePublicKey } from './certificate.ts';

/** What the CSR we created must look like, down to who created it. */
export interface ExpectedCsr {
  readonly uid: string;
  readonly commonName: string;
  /** The one Organization allowed; undefined allows none. */
  readonly organization: string | undefined;
  readonly usages: string[];
  /** This Job's own ServiceAccount user, from a SelfSubjectReview. */
  readonly username: string;
  readonly signerName: string;
  readonly publicKeyPem: string;
}

/**
 * Every reason not to approve, empty when the CSR is exactly the one we asked for. Whoever may
 * approve for the kube-apiserver-client signer can mint almost any identity (only system:masters
 * is refused), so nothing beyond what we requested may pass.
 */
export async function verifyCsrForApproval(csr: V1CertificateSigningRequest, expected: ExpectedCsr): Promise<string[]> {
  const violations: string[] = [];
  const spec = csr.spec;
  if (csr.metadata?.uid !== expected.uid) {
    violations.push(`uid is ${show(csr.metadata?.uid)}, not ${expected.uid}, the CSR this run created`);
  }
  if (spec.signerName !== expected.signerName) {
    violations.push(`signerName is ${show(spec.signerName)}, want ${show(expected.signerName)}`);
  }
  if (spec.username !== expected.username) {
    violations.push(`requested by ${show(spec.username)}, not by this Job's ServiceAccount ${show(expected.username)}`);
  }
  const usages = [...(spec.usages ?? [])].sort();
  if (usages.join(',') !== [...expected.usages].sort().join(',')) {
    violations.push(`usages are [${usages.join(', ')}], want exactly [${expected.usages.join(', ')}]`);
  }

  let request;
  try {
    request = await parseCsr(Buffer.from(spec.request, 'base64').toString('utf8'));
  } catch {
    return [...violations, 'spec.request is not a parseable RSA PKCS#10 request'];
  }
  if (!request.signatureValid) violations.push('the request signature does not verify');
  if (request.commonNames.length !== 1 || request.commonNames[0] !== expected.commonName) {
    violations.push(`CN is [${request.commonNames.join(', ')}], want exactly ${show(expected.commonName)}`);
  }
  const allowed = expected.organization === undefined ? [] : [expected.organization];
  if (request.organizations.join('\n') !== allowed.join('\n')) {
    violations.push(`O is [${request.organizations.join(', ')}], want [${allowed.join(', ')}]`);
  }
  if (!samePublicKey(request.publicKeyPem, expected.publicKeyPem)) {
    violations.push('the request carries a public key other than the one this run generated');
  }
  return violations;
}

function show(value: string | undefined): string {
  return JSON.stringify(value ?? null);
}
