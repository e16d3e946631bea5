import type { V1Secret } from '@kubernetes/client-node';
import {
  CSR_ANNOTATION, ISSUED_BY_ANNOTATION, MANAGED_LABELS, NOT_AFTER_ANNOTATION, RENEW_AFTER_ANNOTATION, TLS_SECRET_KEYS, TLS_SECRET_TYPE,
} from '../../src/contract/issuer-api.ts';
import type { TlsFiles } from './rotation.ts';
import { rfc3339 } from './utc-time.ts';

export interface SecretSpec {
  readonly name: string;
  readonly namespace: string;
  readonly files: TlsFiles;
  readonly notAfter: Date;
  readonly renewAfter: Date;
  /** Where the certificate came from; unknown ones are left out, not carried over from the Secret it replaces. */
  readonly origin: Origin;
}

/** The run that issued a certificate and the CSR it was signed as, as far as they are known. */
export interface Origin {
  readonly issuedBy: string | undefined;
  readonly csr: string | undefined;
}

/** The origin a stored Secret records. */
export function originOf(secret: V1Secret | undefined): Origin {
  const annotations = secret?.metadata?.annotations ?? {};
  return { issuedBy: annotations[ISSUED_BY_ANNOTATION], csr: annotations[CSR_ANNOTATION] };
}

/**
 * The desired Secret. Given the Secret it replaces, it keeps that one's resourceVersion (so the
 * update fails instead of overwriting a concurrent writer) and its other labels and annotations,
 * which the issuer's admission policy requires it to leave as they are.
 */
export function buildTlsSecret(spec: SecretSpec, existing?: V1Secret): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      labels: { ...existing?.metadata?.labels, ...MANAGED_LABELS },
      annotations: withoutUndefined({
        ...existing?.metadata?.annotations,
        [NOT_AFTER_ANNOTATION]: rfc3339(spec.notAfter),
        [RENEW_AFTER_ANNOTATION]: rfc3339(spec.renewAfter),
        [ISSUED_BY_ANNOTATION]: spec.origin.issuedBy,
        [CSR_ANNOTATION]: spec.origin.csr,
      }),
    },
    type: TLS_SECRET_TYPE,
    data: {
      'tls.crt': base64(spec.files.tlsCrt),
      'tls.key': base64(spec.files.tlsKey),
      'ca.crt': base64(spec.files.caCrt),
    },
  };
}

/**
 * Why the issuer cannot replace `existing`, or undefined. The API keeps a Secret's type for life,
 * and the issuer writes only TLS Secrets (its admission policy refuses any other type), so a
 * Secret of another type with the configured name has to go first.
 */
export function unwritableReason(existing: V1Secret | undefined): string | undefined {
  if (existing === undefined || existing.type === TLS_SECRET_TYPE) return undefined;
  const { namespace, name } = existing.metadata as { namespace: string; name: string };
  return `Secret ${namespace}/${name} is of type ${existing.type ?? 'Opaque'}, and the issuer writes only ${TLS_SECRET_TYPE} Secrets; a Secret's type cannot change: delete it (kubectl -n ${namespace} delete secret ${name}) and run the issuer again`;
}

/** The TLS files a stored Secret holds, or undefined when it has none or misses one. */
export function filesOf(secret: V1Secret | undefined): TlsFiles | undefined {
  const data = secret?.data ?? {};
  const [tlsCrt, tlsKey, caCrt] = TLS_SECRET_KEYS.map((key) =>
    data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8'),
  );
  if (tlsCrt === undefined || tlsKey === undefined || caCrt === undefined) return undefined;
  return { tlsCrt, tlsKey, caCrt };
}

function withoutUndefined(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
