// A store catalogue for the store benches: `count` apps, one 512-byte revision each on latest/stable, imported
// in commits of IMPORT_BATCH_APPS apps (rows, blobs and the signed repository written directly, channel maps as a release
// signs them; uploads are not what is measured).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const { ARCHITECTURES } = require('../bundle/dist/src/index.js');
const { appService } = require('../store-server/dist/src/services/apps.js');
const { releaseService } = require('../store-server/dist/src/services/releases.js');

/** One word of each summary, in turn: a search for one of them matches 1 app in TOPICS.length. */
export const TOPICS = ['editor', 'player', 'viewer', 'monitor', 'notebook', 'terminal', 'browser', 'calendar', 'mailer', 'scanner',
  'tracker', 'server', 'client', 'builder', 'checker', 'converter', 'recorder', 'launcher', 'manager', 'reader'];

/** Apps per SQLite transaction: each commit lets a checkpoint empty the WAL, which one transaction of every app would grow to the database's size. */
export const IMPORT_BATCH_APPS = 1000;

/**
 * Imports app-00000 … into an open store for `accountId`; withManifest keeps a manifest like a real one (the
 * pages read it); `batch` apps per transaction.
 */
export function importCatalogue(ctx, accountId, count, { withManifest = false, batch = IMPORT_BATCH_APPS } = {}) {
  const entries = [];
  // The channel map as a release signs it: a store started on the catalogue finds nothing to re-sign.
  const { channelMap } = releaseService(ctx, appService(ctx));
  const importBatch = ctx.db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const name = `app-${String(i).padStart(5, '0')}`;
      const blob = randomBytes(512);
      const sha256 = createHash('sha256').update(blob).digest('hex');
      writeFileSync(join(ctx.paths.blobs, sha256), blob);
      const appId = ctx.apps.create(name, accountId);
      const manifest = withManifest ? {
        name, version: '1.0', summary: `The ${name} ${TOPICS[i % TOPICS.length]}, for benchmarks`,
        description: `What ${name} does, in a paragraph or two.\n\nAnd a second paragraph.`,
        apps: { [name]: { command: `bin/${name}`, plugs: ['network'] } }, plugs: ['home'],
      } : undefined;
      ctx.apps.addRevision({
        app_id: appId, revision: 1, sha256, size: blob.length, version: '1.0', key_id: 'bench', architectures: 'all',
        ...(manifest ? { manifest: JSON.stringify(manifest) } : {}),
      });
      if (manifest) ctx.apps.setSummary(appId, manifest.summary);
      ctx.apps.setChannel(appId, 'latest/stable', ARCHITECTURES, 1);
      entries.push({
        channelMap: channelMap(ctx.apps.find(name)),
        bundles: [{ name, revision: 1, sha256, size: blob.length, version: '1.0', publisher: 'bench', blobPath: join(ctx.paths.blobs, sha256) }],
      });
    }
  });
  for (let from = 0; from < count; from += batch) importBatch(from, Math.min(count, from + batch));
  ctx.tuf.publishApps(entries);
}
