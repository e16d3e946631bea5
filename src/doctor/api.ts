import { request, type RequestOptions } from 'node:https';
import { connect } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TlsFiles } from '../../cert-issuer/src/rotation.ts';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';

const REQUEST_TIMEOUT_MS = 10_000;

/** A dry-run CSR create as `user` (impersonated): nothing is stored, but admission runs in full. */
export async function dryRunCreateCsr(kubeConfig: KubeConfig, user: string, csr: unknown): Promise<{ status: number; message: string }> {
  const url = new URL('/apis/certificates.k8s.io/v1/certificatesigningrequests?dryRun=All', kubeConfig.getCurrentCluster()?.server);
  const body = JSON.stringify(csr);
  const options: RequestOptions = {
    method: 'POST',
    timeout: REQUEST_TIMEOUT_MS,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'impersonate-user': user },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve) => {
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => {
        let message = text.slice(0, 300);
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not a Status: keep the text
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, message: error.message }));
    req.end(body);
  });
}

/** Why a TLS handshake with `endpoint` does not verify against `caPem`, or undefined when it does. */
export function tlsProblem(endpoint: ApiEndpoint, caPem: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.serviceHost, port: endpoint.port, ca: caPem, servername: servernameOf(endpoint), timeout: REQUEST_TIMEOUT_MS });
    socket.once('secureConnect', () => { socket.end(); resolve(undefined); });
    socket.once('timeout', () => { socket.destroy(); resolve('timed out'); });
    socket.once('error', (error) => resolve(error.message));
  });
}

export function fetchIndex(url: string, files: TlsFiles): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = request(url, { cert: files.tlsCrt, key: files.tlsKey, ca: files.caCrt, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 1 << 20) body += chunk; });
      res.on('end', () => {
        if (res.statusCode === 200 && /^apiVersion:/m.test(body)) resolve({ ok: true, detail: `200, ${body.length} bytes of index` });
        else if (res.statusCode === 401) resolve({ ok: false, detail: '401: the API server does not accept the certificate (expired, or not signed by its client CA); re-run the issuer' });
        else if (res.statusCode === 403) resolve({ ok: false, detail: `403: the certificate's user may not proxy to the pod; re-apply the reader Role and RoleBinding` });
        else resolve({ ok: false, detail: `${res.statusCode}: ${body.slice(0, 200).replaceAll('\n', ' ')}; is the assets pod running and serving this repo?` });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ ok: false, detail: `${error.message}; is the endpoint reachable from here? (--endpoint overrides it)` }));
    req.end();
  });
}

function servernameOf(endpoint: ApiEndpoint): string | undefined {
  return /^[\d.]+$|^\[/.test(endpoint.host) ? undefined : endpoint.host;
}
