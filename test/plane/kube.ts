// A deliberately small Kubernetes REST client (node:https + JSON). The harness needs exact
// control over identities (admin, node, scheduler, a pod's client certificate), patch content
// types and raw status codes, which is simpler to read here than through a generated client.
import { request, Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface Credentials {
  server: string;
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
}

export interface Response {
  status: number;
  text: string;
  // Parsed JSON when the body is JSON; API objects are untyped in the harness on purpose.
  json: any;
}

// No TypeScript parameter properties here: the node agent runs this file with Node's type
// stripping, which only accepts erasable syntax.
export class ApiError extends Error {
  readonly status: number;
  readonly text: string;
  constructor(method: string, path: string, status: number, text: string) {
    super(`${method} ${path} -> ${status}: ${text.slice(0, 300)}`);
    this.status = status;
    this.text = text;
  }
}

export class Kube {
  readonly creds: Credentials;
  readonly #agent: Agent;
  constructor(creds: Credentials) {
    this.creds = creds;
    this.#agent = new Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true, maxSockets: 8 });
  }

  static fromKubeconfig(path: string): Kube {
    const cfg = parse(readFileSync(path, 'utf8'));
    const cluster = cfg.clusters[0].cluster;
    const user = cfg.users[0].user;
    const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);
    return new Kube({
      server: cluster.server,
      ca: b64(cluster['certificate-authority-data']) ?? readFileSync(cluster['certificate-authority']),
      cert: b64(user['client-certificate-data']),
      key: b64(user['client-key-data']),
      token: user.token,
    });
  }

  /** Any status; never throws for HTTP errors. Bounded by a per-request timeout. */
  raw(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<Response> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const url = new URL(path, this.creds.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.#agent,
          timeout: timeoutMs,
          headers: {
            accept: 'application/json',
            // An explicit length: a chunked DELETE body leaves the apiserver misreading the next
            // request on the same keep-alive connection (400 Bad Request).
            ...(payload !== undefined && { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
            ...(this.creds.token && { authorization: `Bearer ${this.creds.token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, json });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** 2xx or throws ApiError. */
  async call(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const res = await this.raw(method, path, body, contentType);
    if (res.status < 200 || res.status > 299) throw new ApiError(method, path, res.status, res.text);
    return res.json;
  }

  get(path: string): Promise<any> {
    return this.call('GET', path);
  }

  /** GET that maps 404 to undefined. */
  async find(path: string): Promise<any> {
    const res = await this.raw('GET', path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new ApiError('GET', path, res.status, res.text);
    return res.json;
  }

  mergePatch(path: string, patch: unknown): Promise<any> {
    return this.call('PATCH', path, patch, 'application/merge-patch+json');
  }

  close(): void {
    this.#agent.destroy();
  }
}
