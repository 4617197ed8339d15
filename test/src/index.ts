// Shared helpers for end-to-end tests (a store on loopback, a device root in a temporary folder).
export const PART = 'test';
