// The assets pod's container: a static file server like the Go http.FileServer image Cozystack
// ships. Runs inside the node's network namespace (the pod is hostNetwork), so the apiserver's
// pod proxy reaches it at status.podIP:<port>.
// Usage: node static-server.mjs <root> <port>
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';

const [root, port] = process.argv.slice(2);
const types = { '.yaml': 'application/x-yaml', '.tgz': 'application/gzip' };

createServer((req, res) => {
  const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  let stat;
  try {
    stat = statSync(path);
  } catch {
    stat = undefined;
  }
  // Refuse anything outside the root and anything that is not a plain file.
  if ((path !== root && !path.startsWith(root + sep)) || !stat?.isFile() || !['GET', 'HEAD'].includes(req.method)) {
    res.writeHead(404).end('not found\n');
    console.log(`${req.method} ${req.url} 404`);
    return;
  }
  const type = types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': stat.size });
  console.log(`${req.method} ${req.url} 200`);
  if (req.method === 'HEAD') res.end();
  else createReadStream(path).pipe(res);
}).listen(Number(port), '0.0.0.0', () => console.log(`serving ${root} on :${port}`));

process.on('SIGTERM', () => process.exit(0));
