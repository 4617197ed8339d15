// NAME[.APP] on the command line and in the API: every service of an app, or one of them.
import { serviceSpecs } from '@skiff/bundle';
import type { Device } from '../device/device';
import { UnknownServiceError } from './errors';

export interface ServiceName { name: string; app: string }

export function resolveServices(device: Device, spec: string): ServiceName[] {
  const dot = spec.indexOf('.');
  const name = dot < 0 ? spec : spec.slice(0, dot);
  if (!device.state.app(name)) throw new UnknownServiceError(spec, `${name} is not installed`);
  const services = serviceSpecs(device.appContext(name).manifest).map((s) => s.app);
  if (dot < 0) {
    if (services.length === 0) throw new UnknownServiceError(spec, `${name} has no services`);
    return services.map((app) => ({ name, app }));
  }
  const app = spec.slice(dot + 1);
  if (!services.includes(app)) throw new UnknownServiceError(spec, `${name} has no service ${app} (services: ${services.join(', ') || 'none'})`);
  return [{ name, app }];
}
