// The Git server the e2e suite's GitRepositories read: git's own smart HTTP protocol, served by
// `git http-backend` as a CGI program behind this small HTTP server, so Flux's source-controller
// clones exactly as it would from a Git host, and the tests push with plain `git push`.
// Usage: node git-server.mjs <project-root> <listen-address>
// It listens on an ephemeral port and logs the URL it serves (plane.ts waits for that line).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const [projectRoot, address] = process.argv.slice(2);
/** One request's backend is bounded: a stuck clone must not leave a process behind. */
const backendTimeoutMs = 60_000;
/** Backends still running, stopped with the server so that none outlives it. */
const backends = new Set();

createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      // Every repository under the root is served; pushes are allowed per repository by its
      // http.receivepack setting (the tests' bare repositories turn it on).
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      // Without a length, http-backend reads the body to its end (git sends chunked pushes).
      ...(req.headers['content-length'] && { CONTENT_LENGTH: req.headers['content-length'] }),
      ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
      ...(req.headers['git-protocol'] && { GIT_PROTOCOL: req.headers['git-protocol'] }),
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  backends.add(backend);
  const timer = setTimeout(() => backend.kill('SIGKILL'), backendTimeoutMs);
  backend.on('exit', () => {
    clearTimeout(timer);
    backends.delete(backend);
  });
  req.pipe(backend.stdin);
  backend.stdin.on('error', () => undefined); // the backend may answer before it read the whole body

  // A CGI response: header lines ("Status: 200 OK" among them), an empty line, then the body.
  let head = Buffer.alloc(0);
  let headerDone = false;
  backend.stdout.on('data', (chunk) => {
    if (headerDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/).filter(Boolean)) {
      const colon = line.indexOf(':');
      const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end));
  });
  backend.on('close', (code) => {
    if (!headerDone) res.writeHead(502).write(`git http-backend exited with ${code}\n`);
    res.end();
    console.log(`${req.method} ${req.url} ${headerDone ? res.statusCode : 502}`);
  });
}).listen(0, address, function () {
  console.log(`git-server: listening on http://${address}:${this.address().port}, serving ${projectRoot}`);
});

process.on('SIGTERM', () => {
  for (const backend of backends) backend.kill('SIGKILL');
  process.exit(0);
});
