import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { CSR_USAGES, MANAGED_LABELS, SECRET_LABEL } from '../../src/contract/issuer-api.ts';
import { isoTime } from './utc-time.ts';

export interface CsrSpec {
  readonly name: string;
  readonly secretName: string;
  readonly requestPem: string;
  readonly signerName: string;
  readonly expirationSeconds: number;
}

export function buildCsrObject(spec: CsrSpec): V1CertificateSigningRequest {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: spec.name, labels: { ...MANAGED_LABELS, [SECRET_LABEL]: spec.secretName } },
    spec: {
      request: Buffer.from(spec.requestPem, 'utf8').toString('base64'),
      signerName: spec.signerName,
      usages: [...CSR_USAGES],
      expirationSeconds: spec.expirationSeconds,
    },
  };
}

/**
 * The verified CSR plus an Approved condition. It keeps the resourceVersion we verified, so the
 * API refuses the approval if the object changed after our check.
 */
export function withApproval(csr: V1CertificateSigningRequest, now: Date): V1CertificateSigningRequest {
  const condition = {
    type: 'Approved',
    status: 'True',
    reason: 'CertIssuerVerified',
    message: 'subject, usages, requester, key and uid verified by cert-issuer',
    // As text: JSON.stringify would write the Date with toISOString (see utc-time.ts). client-node
    // types it as a Date only because its own serializer, which we do not use, converts it.
    lastUpdateTime: isoTime(now) as unknown as Date,
  };
  return { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] } };
}

export type Outcome =
  | { state: 'pending' }
  | { state: 'issued'; certificatePem: string }
  | { state: 'denied' | 'failed'; reason: string };

export function outcomeOf(csr: V1CertificateSigningRequest): Outcome {
  const final = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
  if (final) {
    const reason = [final.reason, final.message].filter(Boolean).join(': ') || 'no reason given';
    return { state: final.type === 'Denied' ? 'denied' : 'failed', reason };
  }
  const certificate = csr.status?.certificate;
  if (certificate) return { state: 'issued', certificatePem: Buffer.from(certificate, 'base64').toString('utf8') };
  return { state: 'pending' };
}

/**
 * CSRs of ours that no run will ever use: their private key died with the run that made them.
 * A pending CSR younger than the run deadline may still belong to a concurrent run, so it stays
 * (the API garbage-collects pending CSRs after 24 h anyway).
 */
export function leftoverCsrs(
  csrs: V1CertificateSigningRequest[],
  own: { username: string; current: string; now: Date; deadlineSeconds: number },
): string[] {
  return csrs
    .filter((csr) => csr.spec.username === own.username && csr.metadata?.name !== own.current)
    .filter((csr) => {
      const created = csr.metadata?.creationTimestamp;
      const stale = created === undefined || own.now.getTime() - new Date(created).getTime() > own.deadlineSeconds * 1000;
      return stale || outcomeOf(csr).state !== 'pending';
    })
    .map((csr) => csr.metadata!.name!);
}
