// Finds and loads the compiled addon once, on first use, so importing this package never needs a build.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkiffError } from '@skiff/bundle/errors';

/** Overrides the folder holding skiff_native.node and skiff-launch (tests, other build types). */
export const BUILD_DIR_ENV = 'SKIFF_NATIVE_BUILD_DIR';

/** The functions the C++ addon exports (cpp/addon.cc). */
export interface NativeBinding {
  /** legacyLoop (tests only): attach with LOOP_SET_FD + LOOP_SET_STATUS64, as on kernels before 5.8. */
  mountBundle(file: string, target: string, legacyLoop?: boolean): void;
  mountVolume(file: string, target: string): void;
  refreshLoopCapacity(device: string): void;
  unmount(target: string, lazy: boolean): void;
  spawn(planJson: string, stdin: number, stdout: number, stderr: number): number;
  wait(pid: number): Promise<{ code: number | null; signal: number | null }>;
  pipe(): [number, number];
  checkPlan(planJson: string): void;
  compileSeccomp(planJson: string): Buffer[];
  copyDataTree(srcDir: string, srcName: string, dstDir: string, dstName: string, uid: number, gid: number, maxDepth: number): { path: string; reason: string }[];
  removeDataTree(dir: string, name: string, maxDepth: number): void;
  peerCredentials(fd: number): PeerCredentials;
  zstdCompressBlock(block: Buffer, level: number): Promise<Buffer>;
  zstdDecompressBlock(frame: Buffer, maxBytes: number): Buffer;
  zstdPatch(frame: Buffer, old: Buffer, size: number): Buffer;
  zstdMakePatch(old: Buffer, next: Buffer, level: number): Buffer;
}

/** The process at the other end of a unix socket, as the kernel recorded it at connect(). */
export interface PeerCredentials { pid: number; uid: number; gid: number }

/** Folder of the build outputs: $SKIFF_NATIVE_BUILD_DIR, else native/build/Release. */
export function buildDir(): string {
  const override = process.env[BUILD_DIR_ENV];
  if (override) return resolve(override);
  // Compiled code lives in native/dist/src/, the build in native/build/Release/.
  return join(__dirname, '..', '..', 'build', 'Release');
}

let binding: NativeBinding | undefined;

export function native(): NativeBinding {
  if (binding) return binding;
  const file = join(buildDir(), 'skiff_native.node');
  if (!existsSync(file)) {
    throw new SkiffError('native-missing', `the native addon is not built: ${file} is missing (run \`npm run build --workspace native\`)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  binding = require(file) as NativeBinding;
  return binding;
}
