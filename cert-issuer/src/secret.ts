import type { V1Secret } from '@kubernetes/client-node';
import { MANAGED_LABELS, NOT_AFTER_ANNOTATION, RENEW_AFTER_ANNOTATION } from '../../src/contract/issuer-api.ts';
import type { TlsFiles } from './rotation.ts';
import { rfc3339 } from './utc-time.ts';

export interface SecretSpec {
  readonly name: string;
  readonly namespace: string;
  readonly files: TlsFiles;
  readonly notAfter: Date;
  readonly renewAfter: Date;
}

/**
 * The desired Secret. Given the Secret it replaces, it keeps that one's resourceVersion (so the
 * update fails instead of overwriting a concurrent writer), its other labels and annotations, and
 * its type, which the API forbids changing and which Flux accepts either way.
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
      annotations: {
        ...existing?.metadata?.annotations,
        [NOT_AFTER_ANNOTATION]: rfc3339(spec.notAfter),
        [RENEW_AFTER_ANNOTATION]: rfc3339(spec.renewAfter),
      },
    },
    type: existing?.type ?? 'kubernetes.io/tls',
    data: {
      'tls.crt': base64(spec.files.tlsCrt),
      'tls.key': base64(spec.files.tlsKey),
      'ca.crt': base64(spec.files.caCrt),
    },
  };
}

/** The TLS files a stored Secret holds, or undefined when it has none or misses one. */
export function filesOf(secret: V1Secret | undefined): TlsFiles | undefined {
  const data = secret?.data ?? {};
  const [tlsCrt, tlsKey, caCrt] = ['tls.crt', 'tls.key', 'ca.crt'].map((key) =>
    data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8'),
  );
  if (tlsCrt === undefined || tlsKey === undefined || caCrt === undefined) return undefined;
  return { tlsCrt, tlsKey, caCrt };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
