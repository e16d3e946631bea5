/**
 * doctor's one way to the API server: a request over node:https, as one identity per client.
 *
 * Why node:https for every request rather than @kubernetes/client-node's API classes: one of
 * doctor's requests fetches a repository index through the pod proxy at exactly the path of its
 * HelmRepository's URL, as Flux does, and client-node's pod-proxy call percent-encodes the slashes
 * of that path and throws on a body it cannot parse (an index served as `application/x-yaml`). A
 * plain request does that and the rest too: JSON reads and creates, the dry run impersonating the
 * issuer by a header on that one request, the answer whatever its status (the probe hopes for a
 * refusal), and the handshake check, which asks only whether any answer comes. client-node still
 * reads the kubeconfig: it knows every way one authenticates (exec plugins, tokens, client
 * certificates, proxies) and hands them over as HTTPS options.
 */
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ApiEndpoint } from '../contract/api-endpoint.ts';

const REQUEST_TIMEOUT_MS = 10_000;

/** The API server's answer, whatever its status. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A status from 400 on where doctor needed the object, with the API server's reason. */
export class ApiError extends Error {
  public constructor(
    public readonly status: number,
    what: string,
    body: string,
  ) {
    super(`${what}: HTTP ${status}: ${statusMessage(body)}`);
    this.name = 'ApiError';
  }
}

/** The message of a Kubernetes Status, or the start of a body that is not one. */
export function statusMessage(body: string): string {
  try {
    const { message } = JSON.parse(body) as { message?: unknown };
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text itself is the reason
  }
  return body.slice(0, 300);
}

/** Requests to one API server as one identity. */
export class KubeApi {
  /** As the current user of `kubeConfig`, at its current cluster. */
  public static async fromKubeConfig(kubeConfig: KubeConfig): Promise<KubeApi> {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined) throw new Error('the kubeconfig has no current context with a cluster');
    const options: RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    return new KubeApi(server, options);
  }

  /** At `endpoint`, trusting only `tls.ca`, as the holder of `tls.cert` (anonymous without one). */
  public static at(endpoint: ApiEndpoint, tls: { readonly ca: string; readonly cert?: string; readonly key?: string }): KubeApi {
    return new KubeApi(endpoint.url(''), { ...tls });
  }

  private constructor(
    private readonly server: string,
    private readonly options: RequestOptions,
  ) {}

  /**
   * Sends one request with `path` as it is and resolves with the answer, whatever its status; it
   * rejects only when none came (no connection, a handshake that does not verify, a timeout).
   * `as` impersonates that user for this request alone; a PATCH body is a JSON merge patch.
   */
  public send(method: string, path: string, { body, as }: { readonly body?: unknown; readonly as?: string } = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const headers = {
      ...this.options.headers,
      accept: 'application/json, */*',
      ...(payload !== undefined && { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }),
      ...(as !== undefined && { 'impersonate-user': as }),
    };
    // Joined, not resolved against the server: a kubeconfig's server may carry a path prefix (a proxy's).
    const url = `${this.server.replace(/\/+$/, '')}${path}`;
    return new Promise((resolve, reject) => {
      const req = request(url, { ...this.options, method, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The object at `path`; ApiError for any status from 400 on. */
  public async get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** The object at `path`, or undefined when there is none (404). */
  public async find<T>(path: string): Promise<T | undefined> {
    return this.get<T>(path).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    });
  }

  /** Creates `object` in the collection at `path` and returns what the API server made of it. */
  public async create<T>(path: string, object: unknown): Promise<T> {
    return this.json<T>('POST', path, object);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.send(method, path, { body });
    if (answer.status >= 400) throw new ApiError(answer.status, `${method} ${path}`, answer.body);
    return JSON.parse(answer.body) as T;
  }
}
