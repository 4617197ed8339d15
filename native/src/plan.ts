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
  /**
   * Syscalls allowed only with these arguments (e.g. socket only for some address families). A
   * syscall named here is allowed by its rules alone, whatever `allow` says: each rule allows it
   * when every listed argument equals its value (compared on the low 32 bits, as the kernel reads an int).
   */
  argRules?: SeccompArgRule[];
}

export interface SeccompArgRule {
  syscall: string;
  /** Argument index (0 to 5) and the value it must have. */
  args: Array<{ index: number; value: number }>;
}

/** IPC a Landlock domain keeps to itself (kernel ABI 6): abstract unix sockets, signals. */
export type LandlockScope = 'abstract-unix-socket' | 'signal';

/**
 * A Landlock domain entered by the child after no_new_privs, before seccomp. Best effort by
 * kernel: a part the running kernel's Landlock ABI lacks is skipped (scope: ABI 6, bindTcpPorts:
 * ABI 4); a step the kernel does support and that fails fails the launch.
 */
export interface LandlockPlan {
  scope: LandlockScope[];
  /** When present, TCP bind is allowed only to these ports (0: an ephemeral port, as clients take). */
  bindTcpPorts?: number[];
}

/**
 * Inet binds (TCP and UDP, v4 and v6) refused unless to port 0, by cgroup-BPF bind4/bind6 programs
 * attached to a cgroup2 folder of the launch's own: the plan's cgroup when it is v2, else a folder
 * of the same path (with the same pid suffix) under `cgroup2Root`, removed with it.
 */
export interface BindGuardPlan {
  /** Mount point of the cgroup2 hierarchy, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified. */
  cgroup2Root: string;
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
  /** Absent or null: no Landlock domain. */
  landlock?: LandlockPlan | null;
  /** Absent or null: binds are not guarded (a private network namespace, or no cgroup2 on the host). */
  bindGuard?: BindGuardPlan | null;
}

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal name (e.g. 'SIGKILL') or null. */
  signal: string | null;
}
