// Contract stubs for the bundle API (issue 2). Replaced by the real modules; keep these names.
import { SkiffError } from './errors';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

export type HookName = 'install' | 'pre-refresh' | 'post-refresh' | 'check-health' | 'remove';
export interface AppEntry { command: string; daemon?: string; plugs?: string[] }
export interface Manifest {
  name: string; version: string; summary: string; description?: string;
  apps: Record<string, AppEntry>;
  hooks?: Partial<Record<HookName, { plugs?: string[] }>>;
  plugs?: string[];
  resources?: { memory?: string; pids?: number; cpu?: number };
}
export interface BundleEntry {
  path: string; type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number; size: number; linkTarget?: string;
}
export interface BundleInfo { manifest: Manifest; files: BundleEntry[]; size: number; sha256: string }
export interface PackResult { path: string; manifest: Manifest; sha256: string; size: number }
export interface FileDigest { size: number; sha256: string; sha512: string }
export interface KeyPair { publicKey: Uint8Array; secretKey: Uint8Array }
export interface TufKey { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } }

export function parseManifest(text: string, source?: string): Manifest { void text; void source; return todo('parseManifest'); }
export function parseSize(text: string): number { void text; return todo('parseSize'); }
export async function packBundle(dir: string, outDir: string): Promise<PackResult> { void dir; void outDir; return todo('packBundle'); }
export async function inspectBundle(file: string): Promise<BundleInfo> { void file; return todo('inspectBundle'); }
export async function validateBundle(file: string): Promise<BundleInfo> { void file; return todo('validateBundle'); }
export async function hashFile(path: string): Promise<FileDigest> { void path; return todo('hashFile'); }
export function generateKeyPair(): KeyPair { return todo('generateKeyPair'); }
export function saveKeyPair(path: string, kp: KeyPair): void { void path; void kp; todo('saveKeyPair'); }
export function loadKeyPair(path: string): KeyPair { void path; return todo('loadKeyPair'); }
export function publicKeyHex(kp: KeyPair): string { void kp; return todo('publicKeyHex'); }
export function tufPublicKey(publicHex: string): TufKey { void publicHex; return todo('tufPublicKey'); }
export function keyIdOf(publicHex: string): string { void publicHex; return todo('keyIdOf'); }
export function signBytes(secretKey: Uint8Array, bytes: Uint8Array): string { void secretKey; void bytes; return todo('signBytes'); }
export function verifyBytes(publicHex: string, bytes: Uint8Array, sigHex: string): boolean { void publicHex; void bytes; void sigHex; return todo('verifyBytes'); }
export function canonicalJson(value: unknown): Buffer { void value; return todo('canonicalJson'); }
