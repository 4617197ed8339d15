import type { Architecture } from './architectures';

/** The hooks a bundle may ship as meta/hooks/<name>. */
export const HOOK_NAMES = ['install', 'pre-refresh', 'post-refresh', 'check-health', 'remove'] as const;
export type HookName = typeof HOOK_NAMES[number];

/** One app of a bundle: `skiff run <name>[.<app>]` runs its command. */
export interface AppEntry { command: string; daemon?: string; plugs?: string[] }

/** meta/app.yaml, validated (see manifest.ts for the rules). */
export interface Manifest {
  name: string; version: string; summary: string; description?: string;
  apps: Record<string, AppEntry>;
  hooks?: Partial<Record<HookName, { plugs?: string[] }>>;
  plugs?: string[];
  resources?: { memory?: string; pids?: number; cpu?: number };
  /** Absent means 'all' (see architectures.ts). */
  architectures?: 'all' | Architecture[];
}

/** One file, folder or link of a bundle; `path` is relative with '/' separators, `mode` the permission bits (07777). */
export interface BundleEntry {
  path: string; type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number; size: number; linkTarget?: string;
  /** Owner recorded in an image; absent for a folder on disk, whose owners pack replaces with root. */
  uid?: number; gid?: number;
}

/** What inspectBundle reads from a bundle file without mounting it. */
export interface BundleInfo { manifest: Manifest; files: BundleEntry[]; size: number; sha256: string }
export interface PackResult { path: string; manifest: Manifest; sha256: string; size: number }
export interface FileDigest { size: number; sha256: string }
export interface KeyPair { publicKey: Uint8Array; secretKey: Uint8Array }
export interface TufKey { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } }
