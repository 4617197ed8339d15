// The device's architecture: the kernel's (uname machine, in Debian's name), or the one its config sets.
import { machine } from 'node:os';
import { ARCHITECTURES, architectureOfMachine, architecturesText, declaredArchitectures, isArchitecture, servedArchitectures, type Architecture, type Manifest } from '@skiff/bundle';
import { ArchitectureError } from './errors';

/** The config key that overrides the kernel's answer (tests, or a 32-bit userland on a 64-bit kernel). */
export const ARCHITECTURE_SETTING = 'system.architecture';

/** The kernel's machine as a Debian architecture; '' when Skiff does not know it. */
export function kernelArchitecture(): string {
  return architectureOfMachine(machine()) ?? '';
}

export function checkArchitectureSetting(value: string): string | null {
  return isArchitecture(value) ? null : `must be one of ${ARCHITECTURES.join(', ')}`;
}

/** The architecture this device installs for, from its config value (which defaults to the kernel's). */
export function deviceArchitecture(configured: string | undefined): Architecture {
  if (configured && isArchitecture(configured)) return configured;
  throw new ArchitectureError(`this device's architecture is unknown (the kernel says ${machine()}); set it with \`skiff config set ${ARCHITECTURE_SETTING} ARCH\` (one of ${ARCHITECTURES.join(', ')})`);
}

/** Null when a bundle runs on `arch`; else its declared architectures, as text, for the refusal. */
export function foreignArchitectures(manifest: Manifest, arch: Architecture): string | null {
  const declared = declaredArchitectures(manifest);
  return servedArchitectures(declared).includes(arch) ? null : architecturesText(declared);
}
