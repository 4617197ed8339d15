import { SkiffError } from '@skiff/bundle';

/** NAME[.APP] names no service of an installed app. */
export class UnknownServiceError extends SkiffError {
  constructor(readonly spec: string, why: string) { super('service-not-found', `${spec}: ${why}`); }
}

/** A service did not come up (exited, no READY=1 in time) while a change waited for it. */
export class ServiceNotUpError extends SkiffError {
  constructor(readonly service: string, why: string) { super('service-not-up', `service ${service} is not up: ${why}`); }
}
