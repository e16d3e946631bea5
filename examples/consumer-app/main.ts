// The platform team's own chart: its settings, and the bootstrap of Flux's first charts beside them.
import { App, Chart } from 'cdk8s';
import { ConfigMap, User } from 'cdk8s-plus-28';
import { ApiEndpoint, AssetsBootstrap } from '@flux-assets-bootstrap/flux-assets-bootstrap';

const app = new App(); // writes dist/platform.k8s.yaml
const chart = new Chart(app, 'platform');

new ConfigMap(chart, 'Settings', {
  metadata: { name: 'platform-settings', namespace: 'platform' },
  data: { cluster: 'edge-1' },
});

// The props are the cluster config's sections, with the same names, rules and defaults.
const bootstrap = new AssetsBootstrap(chart, 'FluxBootstrap', {
  endpoint: ApiEndpoint.parse('localhost:7445'),
  assets: { namespace: 'platform', name: 'assets', image: 'ghcr.io/example/assets:1.0.0' },
  repositories: [
    { name: 'cilium', namespace: 'kube-system' },
    { name: 'platform-charts', namespace: 'platform', interval: '10m' },
  ],
  certificate: { commonName: 'flux-assets-reader', secretName: 'assets-client-tls' },
  // No issuer image: the issuer's program ships in a ConfigMap and runs on distroless Node 24.
});

// An auditor may read the charts the way Flux does.
bootstrap.server.grantProxyRead(User.fromName(chart, 'Auditor', 'auditor@example.org'));

app.synth();
