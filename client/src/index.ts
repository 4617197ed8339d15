export { buildProgram, main } from './cli';
export { rootOf } from './options';
