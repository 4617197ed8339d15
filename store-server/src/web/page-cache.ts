import { changeCounter, type Db } from '../db';

/**
 * Rendered public pages, kept until the database changes. The store has one connection, so
 * `total_changes()` moves on every row any service writes (upload, release, close, name, key): a page
 * rendered at the same count shows exactly what a fresh render would. At most `maxEntries` (0: off),
 * the oldest dropped first.
 */
export function pageCache(db: Db, maxEntries: number) {
  const changes = changeCounter(db);
  const entries = new Map<string, { changes: number; html: string }>();
  return {
    async get(key: string, render: () => Promise<string>): Promise<string> {
      if (maxEntries === 0) return render();
      // Read before rendering: a write during the render leaves an entry that is simply never hit.
      const now = changes();
      const hit = entries.get(key);
      if (hit && hit.changes === now) return hit.html;
      const html = await render();
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { changes: now, html });
      return html;
    },
  };
}
