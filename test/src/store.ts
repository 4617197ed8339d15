// Contract stub for end-to-end tests: a real store on 127.0.0.1 (issue 3). Replaced by the real helper.
export interface RunningStore {
  /** Base URL, e.g. http://127.0.0.1:41234 (the TUF repository is under /repo/). */
  url: string;
  dataDir: string;
  /** The root.json a device must be given (printed by `skiff-store init`). */
  rootJsonPath: string;
  /** A publisher account's API token. */
  token: string;
  stop(): Promise<void>;
}

export async function startStore(opts: { dataDir?: string; account?: string } = {}): Promise<RunningStore> {
  void opts;
  throw new Error('startStore is not implemented yet');
}
