import { existsSync, readFileSync } from 'node:fs';
import type { Connection } from './api-client.ts';
import type { Config } from './config.ts';
import { ConfigError } from './errors.ts';
import { connectionFromKubeconfig } from './kubeconfig.ts';

/** Where the API is and how to authenticate: the ServiceAccount mount or a kubeconfig. */
export async function loadConnection(config: Config): Promise<Connection> {
  const { cluster } = config;
  if (cluster.kind === 'kubeconfig') return await connectionFromKubeconfig(cluster.path);
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(`${cluster.serviceAccountDir}/${file}`)) {
      throw new ConfigError(`no ServiceAccount ${file} in ${cluster.serviceAccountDir} (set CERT_ISSUER_SERVICEACCOUNT_DIR or automount the token)`);
    }
  }
  // An endpoint outside the cluster (a load balancer) may serve a certificate from --ca-file's CA.
  const mountedCa = readFileSync(`${cluster.serviceAccountDir}/ca.crt`, 'utf8');
  return {
    server: cluster.server,
    ca: config.caFile === undefined ? mountedCa : `${mountedCa}\n${readCaFile(config.caFile)}`,
    tokenFile: `${cluster.serviceAccountDir}/token`,
  };
}

/** The namespace of the pod, from the ServiceAccount mount's `namespace` file; none outside a pod. */
export function podNamespace(config: Config): string | undefined {
  if (config.cluster.kind !== 'in-cluster') return undefined;
  const file = `${config.serviceAccountDir}/namespace`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * The two CAs of a run. The signer's CA is the cluster CA (the ServiceAccount mount's ca.crt, or
 * the kubeconfig's); the certificate must chain to it. The Secret's ca.crt is what verifies the
 * endpoint Flux uses: --ca-file when the endpoint's serving certificate comes from another CA.
 */
export function readCas(config: Config, connection: Connection): { signerCaPem: string; caCrt: string } {
  const signerCaPem = clusterCa(config, connection);
  return { signerCaPem, caCrt: config.caFile === undefined ? signerCaPem : readCaFile(config.caFile) };
}

function clusterCa(config: Config, connection: Connection): string {
  const mounted = `${config.serviceAccountDir}/ca.crt`;
  return existsSync(mounted) ? readFileSync(mounted, 'utf8') : connection.ca;
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--ca-file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
