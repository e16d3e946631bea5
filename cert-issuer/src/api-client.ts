/**
 * A minimal Kubernetes API client over node:https: JSON requests and a line-delimited watch.
 *
 * The issuer talks to a dozen endpoints. @kubernetes/client-node provides the object types used
 * here (type-only imports, erased at build time); its runtime would cost the Job more to load than
 * its whole no-op budget (BENCHMARKS.md, Why the code is shaped this way).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request, type RequestOptions } from 'node:https';
import { lineSplitter } from './line-splitter.ts';

/** How to reach and authenticate to one API server. */
export interface Connection {
  /** `https://host:port` */
  readonly server: string;
  /** PEM bundle that verifies the server. */
  readonly ca: string;
  /** A bearer token file, re-read per request because the kubelet rotates projected tokens. */
  readonly tokenFile?: string;
  readonly token?: string;
  /** PEM client certificate and key, for kubeconfigs that use them. */
  readonly clientCertificate?: string;
  readonly clientKey?: string;
}

/** An HTTP error from the API server; `code` is the status, `body` the server's Status JSON. */
export class ApiError extends Error {
  public constructor(
    public readonly code: number,
    public readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${code}`);
    this.name = 'ApiError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

export class ApiClient {
  private readonly agent: Agent;
  private readonly watchAgent: Agent;

  public constructor(private readonly connection: Connection) {
    // One kept-alive TLS connection serves the whole run: a handshake per call would dominate it.
    // One at most, too: calls made side by side (the Secrets of every namespace) wait their turn on
    // it instead of opening more, each with its own handshake and buffers: memory for no time saved
    // (BENCHMARKS.md, Why the code is shaped this way).
    const tls = { ca: connection.ca, cert: connection.clientCertificate, key: connection.clientKey };
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ...tls });
    // A watch holds its connection until it is aborted, which closes it: on the shared one, it
    // would queue the calls behind it and cost the next call a new handshake.
    this.watchAgent = new Agent(tls);
  }

  /** Sends one request and parses the JSON answer; throws ApiError for any status from 400 on. */
  public async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options = this.options(method, path, {
      ...(payload !== undefined && { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }),
    });
    return new Promise<T>((resolve, reject) => {
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(new ApiError(status, text, `${method} ${path}`));
          else {
            try {
              resolve((text === '' ? undefined : JSON.parse(text)) as T);
            } catch (error) {
              reject(error);
            }
          }
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Streams a watch: one JSON event per line, until the server ends it, the returned controller
   * aborts it or the connection fails. `done` gets null for a clean end or an abort, and the error
   * otherwise.
   */
  public watch(path: string, onEvent: (event: { type: string; object: unknown }) => void, done: (error: unknown) => void): AbortController {
    const controller = new AbortController();
    let finished = false;
    const finish = (error: unknown) => {
      if (!finished) {
        finished = true;
        done(error);
      }
    };
    let response: IncomingMessage | undefined;
    const req = request({ ...this.options('GET', path, {}), agent: this.watchAgent }, (res) => {
      response = res;
      if ((res.statusCode ?? 0) >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(new ApiError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `watch ${path}`)));
        return;
      }
      const lines = lineSplitter((line) => {
        if (line.trim() === '') return;
        try {
          onEvent(JSON.parse(line) as { type: string; object: unknown });
        } catch (error) {
          finish(error);
          controller.abort();
        }
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => lines.push(chunk));
      res.on('end', () => {
        lines.end();
        finish(null);
      });
      res.on('error', (error) => finish(controller.signal.aborted ? null : error));
    });
    // Our own end, without an error: a stream destroyed with one (as a request's `signal` does it)
    // has Node format that error's stack trace, which costs the Job time and memory for nothing.
    controller.signal.addEventListener('abort', () => {
      (response ?? req).destroy();
      queueMicrotask(() => finish(null));
    }, { once: true });
    req.on('error', (error) => finish(controller.signal.aborted ? null : error));
    req.end();
    return controller;
  }

  private options(method: string, path: string, headers: Record<string, string>): RequestOptions {
    const url = new URL(path, this.connection.server);
    const { token, tokenFile } = this.connection;
    const bearer = tokenFile !== undefined ? readFileSync(tokenFile, 'utf8').trim() : token;
    return {
      method,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: url.pathname + url.search,
      agent: this.agent,
      headers: {
        accept: 'application/json',
        'user-agent': 'flux-assets-bootstrap-cert-issuer',
        ...(bearer && { authorization: `Bearer ${bearer}` }),
        ...headers,
      },
    };
  }
}
