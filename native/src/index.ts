export * from './plan';
// mountBundle, unmount, spawn, wait and LaunchError land with the confinement issue (native part).
