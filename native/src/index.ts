export * from './plan';
export * from './api';
