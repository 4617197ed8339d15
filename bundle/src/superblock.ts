import { open } from 'node:fs/promises';
import { BundleFormatError } from './errors';

/** Size of a squashfs 4.0 superblock (bytes). */
const SUPERBLOCK_BYTES = 96;
const MAGIC = 'hsqs';
const COMPRESSORS: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };

export interface Superblock { inodes: number; blockSize: number; compression: string; bytesUsed: number; fileSize: number }

/** Reads and checks a squashfs superblock: magic, version 4.0, and a file at least as long as the image. */
export async function readSuperblock(file: string): Promise<Superblock> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new BundleFormatError(`cannot open ${file}: ${(err as Error).message}`, file);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new BundleFormatError(`${file} is not a regular file`, file);
    const buf = Buffer.alloc(SUPERBLOCK_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SUPERBLOCK_BYTES, 0);
    if (bytesRead < 4 || buf.toString('latin1', 0, 4) !== MAGIC) {
      throw new BundleFormatError(`${file} is not a Skiff bundle: no squashfs magic ('${MAGIC}') at its start`, file);
    }
    if (bytesRead < SUPERBLOCK_BYTES) throw new BundleFormatError(`${file} is truncated: its squashfs superblock is incomplete`, file);
    const major = buf.readUInt16LE(28);
    const minor = buf.readUInt16LE(30);
    if (major !== 4 || minor !== 0) throw new BundleFormatError(`${file} is squashfs ${major}.${minor}; bundles are squashfs 4.0`, file);
    const bytesUsed = Number(buf.readBigUInt64LE(40));
    if (st.size < bytesUsed) {
      throw new BundleFormatError(`${file} is truncated: ${st.size} bytes, but its squashfs image needs ${bytesUsed}`, file);
    }
    return {
      inodes: buf.readUInt32LE(4), blockSize: buf.readUInt32LE(12),
      compression: COMPRESSORS[buf.readUInt16LE(20)] ?? 'unknown', bytesUsed, fileSize: st.size,
    };
  } finally {
    await handle.close();
  }
}
