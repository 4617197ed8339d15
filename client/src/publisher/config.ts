// Where the publisher verbs find their store and token: SKIFF_STORE / SKIFF_TOKEN, else the file
// written by `skiff login`: $XDG_CONFIG_HOME/skiff/login.json (default ~/.config/skiff), mode 0600.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SkiffError, writeFileAtomic } from '@skiff/bundle';
import { NotLoggedInError } from './errors';

export interface StoreLogin { store: string; token: string }

/** $XDG_CONFIG_HOME/skiff, else ~/.config/skiff (a relative XDG_CONFIG_HOME is ignored, as the spec says). */
export function configDir(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'skiff');
}

export function loginPath(): string {
  return join(configDir(), 'login.json');
}

/** A store base URL, normalised: http(s) only, no trailing slash, no path beyond a prefix. */
export function normaliseStoreUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SkiffError('usage', `"${text}" is not a URL; expected e.g. https://store.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SkiffError('usage', `the store URL must be http or https, not ${url.protocol}`);
  if (url.username || url.password) throw new SkiffError('usage', 'the store URL must not carry credentials; the token is read from stdin');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function saveLogin(login: StoreLogin): string {
  const path = loginPath();
  writeFileAtomic(path, JSON.stringify({ store: normaliseStoreUrl(login.store), token: login.token }, null, 2) + '\n', { mode: 0o600, dirMode: 0o700 });
  return path;
}

function readLoginFile(): Partial<StoreLogin> {
  const path = loginPath();
  if (!existsSync(path)) return {};
  refuseOpenToOthers(path, (message) => new SkiffError('login-insecure', message));
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoreLogin>;
    return { ...(typeof v.store === 'string' ? { store: v.store } : {}), ...(typeof v.token === 'string' ? { token: v.token } : {}) };
  } catch {
    throw new SkiffError('login-invalid', `${path} is not valid JSON; run \`skiff login\` again`);
  }
}

/** Refuses a secret file that others can read or write, as ssh does. */
export function refuseOpenToOthers(path: string, error: (message: string) => Error): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw error(`${path} is open to others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
}

/** The store and token to use: --store, then SKIFF_STORE / SKIFF_TOKEN, then the login file. */
export function resolveLogin(opts: { store?: string; needToken?: boolean } = {}): { store: string; token?: string } {
  const file = readLoginFile();
  const store = opts.store ?? process.env.SKIFF_STORE ?? file.store;
  const token = process.env.SKIFF_TOKEN ?? file.token;
  if (!store) throw new NotLoggedInError();
  if (opts.needToken !== false && !token) throw new NotLoggedInError();
  return { store: normaliseStoreUrl(store), ...(token ? { token } : {}) };
}
