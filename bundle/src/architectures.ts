// Architectures, one list for the manifest, the store and the device: Debian's names (dpkg --print-architecture).

/** Every architecture a bundle may name; the store serves an `all` revision to each of them. */
export const ARCHITECTURES = ['amd64', 'arm64', 'armhf', 'riscv64', 'i386', 'ppc64el', 's390x'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The manifest value meaning "no native code: runs on every architecture" (the default). */
export const ALL_ARCHITECTURES = 'all';

export const isArchitecture = (s: string): s is Architecture => (ARCHITECTURES as readonly string[]).includes(s);

/** The kernel's machine name (uname -m) → Debian's name; undefined for one Skiff does not know. */
const MACHINES: Record<string, Architecture> = {
  x86_64: 'amd64', aarch64: 'arm64', armv7l: 'armhf', armv8l: 'armhf', riscv64: 'riscv64',
  i386: 'i386', i486: 'i386', i586: 'i386', i686: 'i386', ppc64le: 'ppc64el', s390x: 's390x',
};

export function architectureOfMachine(machine: string): Architecture | undefined {
  return MACHINES[machine];
}

/** The architectures a manifest declares: a list of names, or 'all'. */
export function declaredArchitectures(m: { architectures?: 'all' | readonly Architecture[] }): 'all' | readonly Architecture[] {
  return m.architectures ?? ALL_ARCHITECTURES;
}

/** The architectures a revision is served to: 'all' expands to every known one. */
export function servedArchitectures(declared: 'all' | readonly string[]): Architecture[] {
  return declared === ALL_ARCHITECTURES ? [...ARCHITECTURES] : ARCHITECTURES.filter((a) => declared.includes(a));
}

/** How a list of architectures reads in messages and the store's rows: `amd64, arm64` or `all`. */
export function architecturesText(declared: 'all' | readonly string[]): string {
  return declared === ALL_ARCHITECTURES ? ALL_ARCHITECTURES : declared.join(', ');
}
