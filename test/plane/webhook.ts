// A real admission webhook on loopback, for tests that need a third party to act on a CSR at an
// exact moment: the apiserver calls it synchronously, so what it does happens before the request
// it intercepts goes on. Served with a certificate from the plane's CA.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlaneState } from './env.ts';
import type { Kube } from './kube.ts';
import { issue } from './pki.ts';

/** What the webhook answers besides the uid: allowed, and optionally a JSONPatch (as an array). */
export interface AdmissionAnswer {
  allowed: boolean;
  patch?: unknown[];
  message?: string;
}

export interface Webhook {
  /** Every AdmissionReview request the apiserver sent. */
  readonly requests: any[];
  remove(): Promise<void>;
}

/**
 * Serves `answer` and registers it for `rule` as a Mutating or Validating webhook configuration
 * named `name`, limited to objects carrying `labels`. Waits until the apiserver's informer has it.
 */
export async function installWebhook(
  admin: Kube,
  state: PlaneState,
  spec: {
    name: string;
    kind: 'Mutating' | 'Validating';
    rule: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] };
    labels: Record<string, string>;
    answer: (request: any) => Promise<AdmissionAnswer> | AdmissionAnswer;
  },
): Promise<Webhook> {
  const dir = mkdtempSync(join(tmpdir(), 'fab-e2e-webhook-'));
  const serving = await issue(dir, { cert: state.caCert, key: state.caKey }, 'webhook', `/CN=${spec.name}`, 'serverAuth', ['IP:127.0.0.1']);
  const requests: any[] = [];
  const server = createServer({ cert: readFileSync(serving.cert), key: readFileSync(serving.key) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push(review.request);
      let answer: AdmissionAnswer;
      try {
        answer = await spec.answer(review.request);
      } catch (err) {
        answer = { allowed: false, message: `test webhook failed: ${(err as Error).message}` };
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid: review.request.uid,
          allowed: answer.allowed,
          ...(answer.message && { status: { message: answer.message } }),
          ...(answer.patch && { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(answer.patch)).toString('base64') }),
        },
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const path = `/apis/admissionregistration.k8s.io/v1/${spec.kind.toLowerCase()}webhookconfigurations`;
  await admin.call('POST', path, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${spec.kind}WebhookConfiguration`,
    metadata: { name: spec.name },
    webhooks: [{
      name: `${spec.name}.fab-e2e.test`,
      clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: readFileSync(state.caCert).toString('base64') },
      rules: [spec.rule],
      objectSelector: { matchLabels: spec.labels },
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
    }],
  });
  // The apiserver calls a webhook only once its informer has the configuration.
  await new Promise((r) => setTimeout(r, 2_000));
  return {
    requests,
    async remove() {
      await admin.raw('DELETE', `${path}/${spec.name}`);
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 2_000));
    },
  };
}
