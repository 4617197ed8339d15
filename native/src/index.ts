export * from './plan';
export * from './api';
export { removeEmptyCgroups, killCgroups } from './cgroups';
// Issue 11: skiffd decides who may do what from the caller's uid, read from its socket.
export { peerCredentials } from './peer';
export type { PeerCredentials } from './loader';
// Issue 13: a bundle rebuilt from a delta compresses only its new blocks.
export { zstdCompressBlock, zstdDecompressBlock, zstdMakePatch, zstdPatch } from './zstd';
