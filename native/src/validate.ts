// Checks a launch plan field by field before it reaches C++, throwing a TypeError that names the
// field. The same rules are checked again in cpp/plan_json.cc for plans read by skiff-launch.
import type { LaunchPlan, MountRow, CgroupPlan, SeccompPlan, LandlockPlan, BindGuardPlan } from './plan';

/** Linux limits: HOST_NAME_MAX, MAX_ERRNO, the largest uid/gid ((uid_t)-1 means "unchanged"). */
export const HOSTNAME_MAX_BYTES = 64;
export const ERRNO_MAX = 4095;
export const ID_MAX = 4294967294;
/** The kernel's bounds for CPU bandwidth: quota at least 1 ms, period 1 ms to 1 s. */
export const CPU_QUOTA_MIN_US = 1000;
export const CPU_PERIOD_MIN_US = 1000;
export const CPU_PERIOD_MAX_US = 1000000;
/** denyCloneFlags is compared with clone's flags on their low 32 bits, where every CLONE_NEW* lives. */
export const CLONE_FLAGS_MAX = 0xffffffff;
/** seccomp sees six syscall arguments; argRules compare them on 32 bits; ports are 16 bits. */
export const SYSCALL_ARG_INDEX_MAX = 5;
export const ARG_VALUE_MAX = 0xffffffff;
export const PORT_MAX = 65535;
const SCOPES = new Set(['abstract-unix-socket', 'signal']);

const NAMESPACES = new Set(['mount', 'pid', 'ipc', 'uts', 'cgroup', 'net']);
const KINDS = new Set(['tmpfs', 'bind', 'proc', 'mkdir', 'symlink']);
const FLAGS = new Set(['ro', 'nosuid', 'nodev', 'noexec', 'rec']);

const fail = (where: string, what: string): never => { throw new TypeError(`plan.${where} ${what}`); };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail(where, 'must be a string');
  if ((v as string).includes('\0')) fail(where, 'must not contain NUL');
  return v as string;
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(where, 'must be an integer');
  if ((v as number) < min || (v as number) > max) fail(where, `must be between ${min} and ${max}`);
  return v as number;
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) fail(where, 'must be an array of strings');
  return (v as unknown[]).map((s, i) => str(s, `${where}[${i}]`));
}

/** An absolute path without empty, '.' or '..' components, and not '/' itself. */
export function isNormalisedAbsolute(p: string): boolean {
  return p.length > 1 && p.startsWith('/') && p.slice(1).split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

function mountRow(v: unknown, where: string): void {
  if (!isObject(v)) fail(where, 'must be an object');
  const row = v as unknown as MountRow;
  if (!KINDS.has(row.kind)) fail(`${where}.kind`, `must be one of ${[...KINDS].join(', ')}`);
  const source = str(row.source, `${where}.source`);
  const target = str(row.target, `${where}.target`);
  if (!isNormalisedAbsolute(target)) fail(`${where}.target`, 'must be a normalised absolute path other than /');
  if (row.kind === 'bind' && !source.startsWith('/')) fail(`${where}.source`, 'must be an absolute host path');
  if (row.kind === 'symlink' && source === '') fail(`${where}.source`, "must be the link's text");
  for (const flag of strings(row.flags, `${where}.flags`)) if (!FLAGS.has(flag)) fail(`${where}.flags`, `must hold only ${[...FLAGS].join(', ')}`);
  if (row.data !== undefined) {
    const data = str(row.data, `${where}.data`);
    if (row.kind === 'mkdir' && data !== '' && !/^[0-7]{1,4}$/.test(data)) fail(`${where}.data`, 'must be an octal mode such as 0755');
  }
  if (row.optional !== undefined && typeof row.optional !== 'boolean') fail(`${where}.optional`, 'must be a boolean');
  str(row.reason, `${where}.reason`);
}

function cgroup(v: unknown): void {
  if (v === null) return;
  if (!isObject(v)) fail('cgroup', 'must be an object or null');
  const cg = v as unknown as CgroupPlan;
  if (cg.version !== 1 && cg.version !== 2) fail('cgroup.version', 'must be 1 or 2');
  if (!isNormalisedAbsolute(str(cg.root, 'cgroup.root'))) fail('cgroup.root', 'must be a normalised absolute path');
  if (!isNormalisedAbsolute(`/${str(cg.path, 'cgroup.path')}`)) fail('cgroup.path', 'must be a normalised relative path');
  if (cg.memoryBytes !== undefined) int(cg.memoryBytes, 'cgroup.memoryBytes', 1, Number.MAX_SAFE_INTEGER);
  if (cg.pidsMax !== undefined) int(cg.pidsMax, 'cgroup.pidsMax', 1, Number.MAX_SAFE_INTEGER);
  if (cg.cpuQuotaUs !== undefined) int(cg.cpuQuotaUs, 'cgroup.cpuQuotaUs', CPU_QUOTA_MIN_US, Number.MAX_SAFE_INTEGER);
  if (cg.cpuPeriodUs !== undefined) int(cg.cpuPeriodUs, 'cgroup.cpuPeriodUs', CPU_PERIOD_MIN_US, CPU_PERIOD_MAX_US);
  if (cg.appendPid !== undefined && typeof cg.appendPid !== 'boolean') fail('cgroup.appendPid', 'must be a boolean');
}

function seccomp(v: unknown): void {
  if (v === null) return;
  if (!isObject(v)) fail('seccomp', 'must be an object or null');
  const sc = v as unknown as SeccompPlan;
  if (sc.defaultAction !== 'errno' && sc.defaultAction !== 'log') fail('seccomp.defaultAction', "must be 'errno' or 'log'");
  int(sc.errno, 'seccomp.errno', 1, ERRNO_MAX);
  strings(sc.allow, 'seccomp.allow');
  if (!Array.isArray(sc.denyIoctls)) fail('seccomp.denyIoctls', 'must be an array of integers');
  sc.denyIoctls.forEach((r, i) => int(r, `seccomp.denyIoctls[${i}]`, 0, Number.MAX_SAFE_INTEGER));
  if (sc.errnoBySyscall !== undefined) {
    if (!isObject(sc.errnoBySyscall)) fail('seccomp.errnoBySyscall', 'must be an object of syscall name to errno');
    for (const [name, errno] of Object.entries(sc.errnoBySyscall)) int(errno, `seccomp.errnoBySyscall.${name}`, 1, ERRNO_MAX);
  }
  if (sc.denyCloneFlags !== undefined) int(sc.denyCloneFlags, 'seccomp.denyCloneFlags', 0, CLONE_FLAGS_MAX);
  if (sc.argRules !== undefined) {
    if (!Array.isArray(sc.argRules)) fail('seccomp.argRules', 'must be an array of {syscall, args}');
    sc.argRules.forEach((rule, i) => {
      const where = `seccomp.argRules[${i}]`;
      if (!isObject(rule)) fail(where, 'must be an object');
      str(rule.syscall, `${where}.syscall`);
      if (!Array.isArray(rule.args) || rule.args.length === 0) fail(`${where}.args`, 'must be a non-empty array of {index, value}');
      rule.args.forEach((a, j) => {
        if (!isObject(a)) fail(`${where}.args[${j}]`, 'must be an object');
        int(a.index, `${where}.args[${j}].index`, 0, SYSCALL_ARG_INDEX_MAX);
        int(a.value, `${where}.args[${j}].value`, 0, ARG_VALUE_MAX);
      });
    });
  }
}

function landlock(v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) fail('landlock', 'must be an object or null');
  const ll = v as unknown as LandlockPlan;
  for (const s of strings(ll.scope, 'landlock.scope')) if (!SCOPES.has(s)) fail('landlock.scope', `must hold only ${[...SCOPES].join(', ')}`);
  if (ll.bindTcpPorts !== undefined) {
    if (!Array.isArray(ll.bindTcpPorts)) fail('landlock.bindTcpPorts', 'must be an array of ports');
    ll.bindTcpPorts.forEach((p, i) => int(p, `landlock.bindTcpPorts[${i}]`, 0, PORT_MAX));
  }
}

function bindGuard(v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) fail('bindGuard', 'must be an object or null');
  if (!isNormalisedAbsolute(str((v as unknown as BindGuardPlan).cgroup2Root, 'bindGuard.cgroup2Root'))) {
    fail('bindGuard.cgroup2Root', 'must be a normalised absolute path');
  }
}

/** Throws a TypeError naming the first field of `plan` that does not match LaunchPlan. */
export function validatePlan(plan: unknown): asserts plan is LaunchPlan {
  if (!isObject(plan)) throw new TypeError('plan must be an object');
  const p = plan as unknown as LaunchPlan;
  const argv = strings(p.argv, 'argv');
  if (argv.length === 0 || argv[0] === '') fail('argv', 'must name a program');
  for (const e of strings(p.env, 'env')) if (e.indexOf('=') < 1) fail('env', `entries must be NAME=value (got ${JSON.stringify(e)})`);
  if (!str(p.cwd, 'cwd').startsWith('/')) fail('cwd', 'must be an absolute path');
  if (Buffer.byteLength(str(p.hostname, 'hostname')) > HOSTNAME_MAX_BYTES) fail('hostname', `must be at most ${HOSTNAME_MAX_BYTES} bytes`);
  const namespaces = strings(p.namespaces, 'namespaces');
  for (const ns of namespaces) if (!NAMESPACES.has(ns)) fail('namespaces', `must hold only ${[...NAMESPACES].join(', ')}`);
  // The new root is built by mounts that must never reach the host's namespace.
  if (!namespaces.includes('mount')) fail('namespaces', 'must include mount');
  if (!Array.isArray(p.mounts)) fail('mounts', 'must be an array');
  p.mounts.forEach((row, i) => mountRow(row, `mounts[${i}]`));
  int(p.uid, 'uid', 0, ID_MAX);
  int(p.gid, 'gid', 0, ID_MAX);
  if (!('cgroup' in p)) fail('cgroup', 'is missing (null for none)');
  cgroup(p.cgroup);
  if (!('seccomp' in p)) fail('seccomp', 'is missing (null for none)');
  seccomp(p.seccomp);
  landlock(p.landlock);
  bindGuard(p.bindGuard);
  if (p.bindGuard && p.cgroup === null) fail('bindGuard', 'needs a cgroup (its folder is named after plan.cgroup.path)');
}
