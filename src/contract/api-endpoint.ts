import { isIPv6 } from 'node:net';
import { redactCredential } from './names.ts';

const HOST_NAME = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*';
const IPV4 = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}';
const IPV6_IN_BRACKETS = '\\[[0-9a-fA-F:.]+\\]';
const PORT = '([1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${HOST_NAME}$`);
const IPV4_ADDRESS = new RegExp(`^${IPV4}$`);

/**
 * `host:port` as a pattern, for the config's JSON Schema: a DNS name, an IPv4 address or a
 * bracketed IPv6 address (whose groups `parse` checks further), then a port from 1 to 65535.
 */
export const API_ENDPOINT_PATTERN = new RegExp(`^(?:(?=[^:]{1,253}:)${HOST_NAME}|${IPV4}|${IPV6_IN_BRACKETS}):${PORT}$`);

/**
 * The Kubernetes API endpoint that Flux and the cert-issuer use before the cluster has a CNI, for
 * example KubePrism's `localhost:7445` or a load balancer's `api.example.org:6443`.
 */
export class ApiEndpoint {
  /**
   * Parses `host:port`; IPv6 hosts go in brackets (`[fd00::1]:6443`).
   * @throws Error with a message fit for a config error when the value is not host:port.
   */
  public static parse(hostPort: string): ApiEndpoint {
    // Every HelmRepository's URL holds the endpoint, and those are committed to Git.
    if (hostPort.includes('@')) {
      throw new Error(`must be host:port without a user or password: Flux and the issuer authenticate with certificates, and the endpoint goes into Git in every HelmRepository's URL (got ${JSON.stringify(redactCredential(hostPort))})`);
    }
    const match = /^(.+):(\d{1,5})$/.exec(hostPort);
    if (!match || hostPort.includes('/')) {
      throw new Error(`must be host:port, without a scheme or path (got "${hostPort}")`);
    }
    const [, host, portText] = match as unknown as [string, string, string];
    if (!DNS_NAME.test(host) && !IPV4_ADDRESS.test(host) && !(/^\[.*\]$/.test(host) && isIPv6(host.slice(1, -1)))) {
      throw new Error(`host "${host}" is not a DNS name, an IPv4 address or a bracketed IPv6 address`);
    }
    const port = Number(portText);
    if (port < 1 || port > 65535) throw new Error(`port must be from 1 to 65535 (got ${portText})`);
    return new ApiEndpoint(host, port);
  }

  private constructor(
    /** Host name or address; IPv6 addresses keep their brackets. */
    public readonly host: string,
    public readonly port: number,
  ) {}

  /** The HTTPS URL of `path` on this endpoint. */
  public url(path: string): string {
    return `https://${this.host}:${this.port}${path}`;
  }

  /** The host as `KUBERNETES_SERVICE_HOST` expects it: IPv6 without brackets. */
  public get serviceHost(): string {
    return this.host.replace(/^\[(.*)\]$/, '$1');
  }

  public toString(): string {
    return `${this.host}:${this.port}`;
  }
}
