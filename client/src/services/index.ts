export { servicesModule, ServicesModule, type ServiceAction } from './module';
export { Supervisor, type ServiceInfo, type SupervisorOptions } from './supervisor';
export { SUPERVISOR_DEFAULTS, type SupervisorSettings } from './settings';
export { lastLogLines, followLog, LOG_MAX_LINES } from './logs';
export { resolveServices, type ServiceName } from './names';
export { UnknownServiceError, ServiceNotUpError } from './errors';
