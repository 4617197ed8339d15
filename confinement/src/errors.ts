import { SkiffError } from '@skiff/bundle';

/** The app context cannot be confined as asked (uid 0, unknown app, bad path...). */
export class PolicyError extends SkiffError {
  constructor(message: string, readonly field?: string) { super('confinement-refused', message); }
}

/** The manifest names an app, hook or plug this bundle or device does not have. */
export class UnknownTargetError extends SkiffError {
  constructor(message: string, readonly target: string) { super('unknown-target', message); }
}

/** A plug name that confinement does not know. */
export class UnknownPlugError extends SkiffError {
  constructor(readonly plug: string) { super('unknown-plug', `unknown plug '${plug}' (known: network, network-bind, hardware-observe)`); }
}

/** No cgroup hierarchy with the memory, pids and cpu controllers: limits cannot be enforced. */
export class CgroupUnavailableError extends SkiffError {
  constructor(message: string) { super('cgroup-unavailable', message); }
}
