import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Connection } from './api-client.ts';
import { ConfigError } from './errors.ts';

type Named<T> = { name: string } & T;
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Named<{ context: { cluster: string; user: string } }>[];
  clusters?: Named<{ cluster: Record<string, string | boolean | undefined> }>[];
  users?: Named<{ user: Record<string, unknown> }>[];
}

/**
 * The current context of a kubeconfig as a Connection. It supports what an operator or a CI job
 * hands a one-shot tool: a CA, and a token or a client certificate, inline or as files. Exec and
 * auth-provider plugins are refused with a clear message rather than half-supported.
 */
export async function connectionFromKubeconfig(path: string): Promise<Connection> {
  // Loaded here only: the Job, in its pod, never reads a kubeconfig, and the yaml package would
  // otherwise be read and held in memory by every run
  // (BENCHMARKS.md, Why the code is shaped this way).
  const { parse } = await import('./yaml.ts');
  let file: KubeconfigFile;
  try {
    file = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  } catch (error) {
    throw new ConfigError(`--kubeconfig: cannot load ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  const contextName = file['current-context'];
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new ConfigError(`--kubeconfig: ${path} has no current context`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string') throw new ConfigError(`--kubeconfig: ${path}: cluster "${context.cluster}" has no server`);
  if (user.exec || user['auth-provider']) {
    throw new ConfigError(`--kubeconfig: ${path}: user "${context.user}" needs an exec or auth-provider plugin, which the issuer does not run; use a token or a client certificate`);
  }

  const base = dirname(resolve(path));
  const pem = (data: unknown, file: unknown, what: string): string | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    if (typeof file !== 'string') return undefined;
    try {
      return readFileSync(resolve(base, file), 'utf8');
    } catch (error) {
      throw new ConfigError(`--kubeconfig: ${path}: cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  const ca = pem(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate authority');
  if (ca === undefined) throw new ConfigError(`--kubeconfig: ${path}: cluster "${context.cluster}" has no certificate authority; the issuer always verifies the server`);
  return {
    server: cluster.server,
    ca,
    token: typeof user.token === 'string' ? user.token : undefined,
    tokenFile: typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined,
    clientCertificate: pem(user['client-certificate-data'], user['client-certificate'], 'client certificate'),
    clientKey: pem(user['client-key-data'], user['client-key'], 'client key'),
  };
}
