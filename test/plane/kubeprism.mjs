// A KubePrism stand-in: Talos runs a TCP load balancer on every node at localhost:7445 that
// forwards to the apiservers. dist/dev points pods at KUBERNETES_SERVICE_HOST=localhost:7445, so
// the node's network namespace needs the same forwarder on its own loopback.
// Usage: node kubeprism.mjs <listen-port> <upstream-host> <upstream-port>
import { createServer, connect } from 'node:net';

const [listenPort, upstreamHost, upstreamPort] = process.argv.slice(2);

createServer((client) => {
  const upstream = connect(Number(upstreamPort), upstreamHost);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
}).listen(Number(listenPort), '127.0.0.1', () =>
  // plane.ts waits for this line.
  console.log(`kubeprism: listening on 127.0.0.1:${listenPort}, forwarding to ${upstreamHost}:${upstreamPort}`),
);

process.on('SIGTERM', () => process.exit(0));
