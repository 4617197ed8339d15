export * from './errors';
// The rest of the bundle API (manifest, pack, inspect, digest, keys, canonical JSON) lands with issue 2.
