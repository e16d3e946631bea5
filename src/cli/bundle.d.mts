import type { BuildOptions } from 'esbuild';

export declare const bundleOptions: BuildOptions;
export declare function runBundle(bundle: string, options: { saveCodeCache: boolean }): Record<string, unknown>;
