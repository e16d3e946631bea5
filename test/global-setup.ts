// The unit tests synthesize configs without `issuer.image`, which ship the issuer's bundle: build
// it from the current sources first, as the command line does in a checkout.
import { currentIssuerProgram } from '../cert-issuer/build.mjs';

export default async function setup(): Promise<void> {
  await currentIssuerProgram();
}
