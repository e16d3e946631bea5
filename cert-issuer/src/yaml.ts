// The yaml package, bundled into a file of its own beside the issuer's (cert-issuer/build.mjs): only a run
// that reads a kubeconfig loads it, never the Job in its pod.
export { parse } from 'yaml';
