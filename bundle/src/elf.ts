// Which architecture an ELF file is built for, from its header alone (System V gABI, "ELF Header").
import { open } from 'node:fs/promises';
import type { Architecture } from './architectures';

/** Bytes read from a file's start: e_ident (16) + e_type (2) + e_machine (2). */
const HEADER_BYTES = 20;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const CLASS_32 = 1;
const CLASS_64 = 2;
const DATA_LSB = 1;
const DATA_MSB = 2;

/** e_machine values (elf.h EM_*) of the architectures Skiff knows, with the class and byte order each needs. */
const MACHINES: { machine: number; elfClass: number; data?: number; arch: Architecture }[] = [
  { machine: 62, elfClass: CLASS_64, arch: 'amd64' },      // EM_X86_64 (32-bit class would be x32)
  { machine: 183, elfClass: CLASS_64, arch: 'arm64' },     // EM_AARCH64
  { machine: 40, elfClass: CLASS_32, arch: 'armhf' },      // EM_ARM
  { machine: 243, elfClass: CLASS_64, arch: 'riscv64' },   // EM_RISCV
  { machine: 3, elfClass: CLASS_32, arch: 'i386' },        // EM_386
  { machine: 21, elfClass: CLASS_64, data: DATA_LSB, arch: 'ppc64el' }, // EM_PPC64, little-endian
  { machine: 22, elfClass: CLASS_64, arch: 's390x' },      // EM_S390
];

/** What an ELF header says: a known architecture, or the raw fields of one Skiff does not know. */
export type ElfArchitecture = { arch: Architecture } | { unknown: string };

/** Reads an ELF header; undefined when the file is not ELF (too short, or another magic). */
export function elfArchitecture(header: Buffer): ElfArchitecture | undefined {
  if (header.length < HEADER_BYTES || !header.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
  const elfClass = header[4]!;
  const data = header[5]!;
  if (data !== DATA_LSB && data !== DATA_MSB) return { unknown: `ELF with byte order ${data}` };
  const machine = data === DATA_LSB ? header.readUInt16LE(18) : header.readUInt16BE(18);
  const known = MACHINES.find((m) => m.machine === machine && m.elfClass === elfClass && (m.data === undefined || m.data === data));
  if (known) return { arch: known.arch };
  return { unknown: `ELF machine ${machine}, ${elfClass === CLASS_64 ? '64' : '32'}-bit, ${data === DATA_LSB ? 'little' : 'big'}-endian` };
}

/** The ELF architecture of a file on disk (only its first bytes are read). */
export async function fileElfArchitecture(path: string): Promise<ElfArchitecture | undefined> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    return elfArchitecture(header.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
