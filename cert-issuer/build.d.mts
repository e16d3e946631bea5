// Types of cert-issuer/build.mjs, for the tests that build the issuer.

/** Builds the issuer into `outfile` and its yaml file beside it; the files written. */
export function buildIssuer(options?: { readonly outfile?: string; readonly keepNames?: boolean }): Promise<string[]>;

/** The default build's path, rebuilt first when it is missing or older than its sources. */
export function currentIssuerProgram(): Promise<string>;
