import { type App, type Chart, Testing } from 'cdk8s';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

/**
 * The manifests `build` adds to a fresh `Testing.chart()`, after the app's validation, which
 * throws cdk8s' own error listing every construct's problems as `App.synth` does.
 */
export function synth(build: (chart: Chart) => void): Manifest[] {
  const chart = Testing.chart();
  build(chart);
  (chart.node.scope as App).synthYaml();
  return Testing.synth(chart);
}

/** The one manifest of `kind`; fails the test when there is none or more than one. */
export function only(manifests: readonly Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

export function kinds(manifests: readonly Manifest[]): string[] {
  return manifests.map((m) => m.kind);
}

export const SERVER_IMAGE = 'ghcr.io/example/assets:1.0.0';
export const ISSUER_IMAGE = 'ghcr.io/example/cert-issuer:1.0.0';
