// The reference assets server (assets-image/Dockerfile), and the one the e2e suite's node runs: a
// static file server that meets the assets server's contract (README, The assets server's
// contract). It serves the files under ROOT, answers GET / for the probes, and refuses anything
// outside ROOT or that is not a plain file. No TLS: the API server's pod proxy is the TLS end.
// Usage: node server.mjs [ROOT] [PORT]   (defaults: /srv/assets, and PORT from the env or 8123)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';

const root = process.argv[2] ?? '/srv/assets';
const port = Number(process.argv[3] ?? process.env.PORT ?? 8123);
const types = { '.yaml': 'application/x-yaml', '.tgz': 'application/gzip' };

createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  if (!['GET', 'HEAD'].includes(req.method)) return answer(req, res, 405, 'method not allowed\n');
  if (pathname === '/') return answer(req, res, 200, 'ok\n');
  const path = normalize(join(root, decodeURIComponent(pathname)));
  let stat;
  try {
    stat = statSync(path);
  } catch {
    stat = undefined;
  }
  if ((path !== root && !path.startsWith(root + sep)) || !stat?.isFile()) return answer(req, res, 404, 'not found\n');
  const type = types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': stat.size });
  console.log(`${req.method} ${req.url} 200`);
  if (req.method === 'HEAD') res.end();
  else createReadStream(path).pipe(res);
}).listen(port, '0.0.0.0', () => console.log(`serving ${root} on :${port}`));

function answer(req, res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : text);
  console.log(`${req.method} ${req.url} ${status}`);
}

process.on('SIGTERM', () => process.exit(0));
