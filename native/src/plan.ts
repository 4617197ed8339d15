/**
 * The launch plan: everything `spawn` (and the standalone `skiff-launch`) needs to start one
 * confined process. It is plain JSON-serialisable data, computed by `confinement/` (policy) and
 * executed here (mechanism). skiff-launch reads the same shape from a file.
 */

export type Namespace = 'mount' | 'pid' | 'ipc' | 'uts' | 'cgroup' | 'net';

export type MountFlag = 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'rec';

/**
 * One row of the mount table, executed in order inside the new root (an empty tmpfs, made
 * read-only once the table is done). Targets are absolute and normalised, and each component is
 * opened without following symlinks (a symlink on the way fails the row with ELOOP).
 * - tmpfs:   mount a tmpfs at target (data e.g. 'size=64m,mode=0755'; source ignored)
 * - bind:    bind-mount host `source` at target; target is created as a file or folder to match
 *            the source; ro/nosuid/nodev/noexec remount the new mount so (keeping the source's own
 *            flags); 'rec' binds the submounts too, with the same flags
 * - proc:    mount a new proc at target (of the new pid namespace; always nosuid,nodev,noexec)
 * - mkdir:   create folder target (mode from data, octal, default '0755', umask ignored)
 * - symlink: create a symlink at target whose text is `source`
 */
export interface MountRow {
  kind: 'tmpfs' | 'bind' | 'proc' | 'mkdir' | 'symlink';
  source: string;
  target: string;
  flags: MountFlag[];
  data?: string;
  /** Skip the row when the bind source does not exist on this host (for example /lib64). */
  optional?: boolean;
  /** Why this path is exposed: one line, shown by `skiff run --plan` and in errors. */
  reason: string;
}

/** Limits applied by the parent to a fresh cgroup before the child is released. */
export interface CgroupPlan {
  /** 2: unified hierarchy with the controllers enabled; 1: per-controller hierarchies. */
  version: 1 | 2;
  /** Mount point of the hierarchy (v2) or of the controllers' parent folder (v1), e.g. /sys/fs/cgroup. */
  root: string;
  /** Relative path of the cgroup to create, e.g. 'skiff/hello.hello-4711'. Removed when the process is reaped. */
  path: string;
  memoryBytes?: number;
  pidsMax?: number;
  /** CPU bandwidth: quota microseconds per period microseconds. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /**
   * Append '-<pid>' (the launched process's pid on the host) to `path`, so that one saved plan can
   * run several times at once (skiff-launch wrappers). The cgroup is then made right after clone.
   */
  appendPid?: boolean;
}

export interface SeccompPlan {
  /** 'errno': deny what is not allowed with `errno`; 'log': allow but log (devmode). */
  defaultAction: 'errno' | 'log';
  errno: number;
  /** Syscall names allowed; a name unknown to this architecture is skipped. */
  allow: string[];
  /** ioctl requests denied whatever else is allowed, compared on the low 32 bits (CVE-2019-7303). */
  denyIoctls: number[];
  /**
   * Syscalls that fail with their own errno instead (e.g. clone3 → ENOSYS, so libc falls back to
   * clone, whose flags a filter can read). Applies in devmode too; takes precedence over `allow`.
   */
  errnoBySyscall?: Record<string, number>;
  /** clone with any of these flag bits (e.g. CLONE_NEW*) fails with `errno` even when clone is allowed. */
  denyCloneFlags?: number;
}

export interface LaunchPlan {
  /** argv[0] is the path of the program inside the new root. */
  argv: string[];
  env: string[];
  cwd: string;
  hostname: string;
  namespaces: Namespace[];
  mounts: MountRow[];
  uid: number;
  gid: number;
  cgroup: CgroupPlan | null;
  seccomp: SeccompPlan | null;
}

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal name (e.g. 'SIGKILL') or null. */
  signal: string | null;
}
