/**
 * One change per app at a time: a change of an app waits behind the running one of the same app and
 * runs beside those of other apps (their downloads overlap).
 */
export class AppQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(app: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(app) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(app, tail);
    // Forget the app once nothing is queued behind this change: the map holds only busy apps.
    void tail.then(() => { if (this.tails.get(app) === tail) this.tails.delete(app); });
    return mine;
  }

  /** Apps with a change running or queued. */
  busy(): string[] { return [...this.tails.keys()]; }

  /** Settles when every change queued so far has ended. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
