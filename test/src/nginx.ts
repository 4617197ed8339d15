// nginx (Debian nginx-light) on a free loopback port serving a store's DATA/repo as /repo/: the
// read path a fleet would use, without the store's app server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface RunningNginx { url: string; port: number; child: ChildProcess; stop(): Promise<void> }

export const NGINX_BIN = '/usr/sbin/nginx';

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startNginx(repoDir: string, opts: { workerProcesses?: number } = {}): Promise<RunningNginx> {
  if (!existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nginx-'));
  const port = await freePort();
  // Run as root, nginx would switch its workers to `nobody`, who cannot enter a 0700 temporary folder.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : '';
  const conf = `
${user}
daemon off;
worker_processes ${opts.workerProcesses ?? 1};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { application/json json; application/octet-stream skiff; }
  default_type application/octet-stream;
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    location /repo/ {
      alias ${repoDir}/;
      # The store writes a .gz beside each versioned metadata file.
      gzip_static on;
      location ~ /timestamp\\.json$ { add_header Cache-Control "public, max-age=10"; }
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
    try {
      await fetch(`${url}/repo/metadata/root.json`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url, port, child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
