// Shared helpers for end-to-end tests (a store on loopback, a device root in a temporary folder).
export * from './store';
export * from './store-fixtures';
export const PART = 'test';
