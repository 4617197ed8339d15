import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/**
 * Only regular files whose real path stays inside the repository: a symlink planted in the data
 * folder (to a key, say) is not followed out of it. Anything else is answered as missing.
 * Checked before the open: whoever could swap a link in between can write the data folder, so could read the keys anyway.
 */
function isServable(realRoot: string, pathname: string): boolean {
  try {
    const real = realpathSync(join(realRoot, pathname));
    return real.startsWith(realRoot + sep) && statSync(real).isFile();
  } catch {
    return false;
  }
}

/**
 * The TUF repository as static files under /repo/. Everything but timestamp.json (and the
 * unversioned root.json) is content-addressed or versioned, so it is cacheable forever.
 * timestamp.json is served from memory: it is the one file every device polls.
 */
export const repoRoutes: FastifyPluginAsync = async (app) => {
  const { paths, settings, tuf } = app.store.context;
  const realRoot = realpathSync(paths.repo);
  const shortCache = `public, max-age=${settings.timestampMaxAgeSeconds}`;

  let cached: { bytes: Buffer; etag: string } | null = null;
  app.get('/repo/metadata/timestamp.json', { schema: { hide: true } }, async (req, reply) => {
    const bytes = tuf.currentTimestamp;
    if (cached?.bytes !== bytes) cached = { bytes, etag: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"` };
    reply.header('cache-control', shortCache).header('etag', cached.etag).type('application/json');
    if (req.headers['if-none-match'] === cached.etag) return reply.code(304).send();
    return reply.send(cached.bytes);
  });

  await app.register(fastifyStatic, {
    root: paths.repo,
    prefix: '/repo/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'ignore',
    acceptRanges: true,
    // The .gz copies beside versioned metadata, to a client that accepts gzip.
    preCompressed: true,
    etag: true,
    lastModified: true,
    cacheControl: false,
    allowedPath: (pathname) => isServable(realRoot, pathname),
    setHeaders(res, path) {
      const file = basename(path);
      const mutable = file === 'timestamp.json' || file === 'root.json';
      res.setHeader('cache-control', mutable ? shortCache : 'public, max-age=31536000, immutable');
    },
  });
};
