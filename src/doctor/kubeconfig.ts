/** How doctor and status find the cluster: the caller's kubeconfig, at a context, and one line when there is none. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { didYouMean } from '../cli/command-line.ts';

/**
 * The kubeconfig at `file` (else KUBECONFIG's, else ~/.kube/config, else the pod's own), at
 * `context` when one is given; or, in one line, why there is none to use.
 */
export function loadKubeConfig(file: string | undefined, context: string | undefined): KubeConfig | string {
  const defaultFile = join(homedir(), '.kube', 'config');
  if (!file && !process.env.KUBECONFIG && !existsSync(defaultFile) && !process.env.KUBERNETES_SERVICE_HOST) {
    // client-node would fall back to http://localhost:8080 and fail on its scheme.
    return `no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ${defaultFile}`;
  }
  const kubeConfig = new KubeConfig();
  try {
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    return `cannot load the kubeconfig: ${firstLine(error)}`;
  }
  return context === undefined ? kubeConfig : atContext(kubeConfig, context);
}

/** `kubeConfig` switched to `context`; or, in one line, that it has no such context. */
export function atContext(kubeConfig: KubeConfig, context: string): KubeConfig | string {
  const contexts = kubeConfig.getContexts().map(({ name }) => name);
  if (!contexts.includes(context)) return `the kubeconfig has no context "${context}"${didYouMean(context, contexts)}; its contexts: ${contexts.join(', ') || 'none'}`;
  kubeConfig.setCurrentContext(context);
  return kubeConfig;
}

export function firstLine(error: unknown): string {
  return String((error as Error).message).split('\n')[0]!;
}

