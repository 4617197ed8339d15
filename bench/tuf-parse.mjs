#!/usr/bin/env node
// What a device's TUF client spends on one snapshot and one bin: @tufjs/models' fromJSON, then the
// canonical bytes of signed.toJSON() that signature verification hashes. The installed library (patched
// by patches/@tufjs+models+4.1.1.patch) against the reduce-and-spread map building of 4.1.1 as published,
// in the same run, with the same canonical bytes checked.
// Usage: node bench/tuf-parse.mjs [targets] [bits,bits,...]
import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind, MetaFile, Snapshot, TargetFile, Targets } from '@tufjs/models';

const TARGETS = Number(process.argv[2] ?? 200_000);
const BITS = (process.argv[3] ?? '10,11,12').split(',').map(Number);
const RUNS = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const hex = (s) => createHash('sha256').update(s).digest('hex');
const common = { spec_version: '1.0.31', version: 7, expires: '2030-01-01T00:00:00Z' };
const signatures = [{ keyid: hex('key'), sig: hex('sig') + hex('sig') }];

// @tufjs/models 4.1.1 as published: one new object per entry, copying all earlier ones.
const spread = (obj, f) => Object.entries(obj).reduce((acc, [k, v]) => ({ ...acc, [k]: f(k, v) }), {});
const fields = (s) => ({ specVersion: s.spec_version, version: s.version, expires: s.expires });
const published = {
  snapshot: {
    parse: ({ signed }) => new Snapshot({ ...fields(signed), meta: spread(signed.meta, (_, m) => MetaFile.fromJSON(m)) }),
    json: (s) => ({ _type: 'snapshot', meta: spread(s.meta, (_, m) => m.toJSON()), spec_version: s.specVersion, version: s.version, expires: s.expires }),
  },
  bin: {
    parse: ({ signed }) => new Targets({ ...fields(signed), targets: spread(signed.targets, (p, t) => TargetFile.fromJSON(p, t)) }),
    json: (s) => ({ _type: 'targets', spec_version: s.specVersion, version: s.version, expires: s.expires, targets: spread(s.targets, (_, t) => t.toJSON()) }),
  },
};
const installed = {
  snapshot: { parse: (j) => Metadata.fromJSON(MetadataKind.Snapshot, j).signed, json: (s) => s.toJSON() },
  bin: { parse: (j) => Metadata.fromJSON(MetadataKind.Targets, j).signed, json: (s) => s.toJSON() },
};

function snapshotJSON(bits) {
  const meta = { 'targets.json': { version: 3 } };
  for (let i = 0; i < 2 ** bits; i++) meta[`bins-${i.toString(16).padStart(Math.ceil(bits / 4), '0')}.json`] = { version: 1 + (i % 5) };
  return { signatures, signed: { _type: 'snapshot', ...common, meta } };
}

function binJSON(bits) {
  const targets = {};
  for (let i = 0; i < Math.round(TARGETS / 2 ** bits); i++) {
    targets[`apps/app-${String(i).padStart(5, '0')}/${hex(String(i))}.1.skiff`] = {
      length: 4096 + i, hashes: { sha256: hex(`b${i}`) }, custom: { version: '1.0', publisher: 'bench', architectures: ['all'] },
    };
  }
  return { signatures, signed: { _type: 'targets', ...common, targets } };
}

/** Median ms to parse `json` and canonicalize its signed part, and the canonical bytes. */
function time(impl, json) {
  const parse = [], verify = [];
  let bytes;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const signed = impl.parse(json);
    parse.push(performance.now() - t);
    t = performance.now();
    bytes = canonicalize(impl.json(signed));
    verify.push(performance.now() - t);
  }
  return { parseMs: +median(parse).toFixed(1), toJSONMs: +median(verify).toFixed(1), bytes };
}

console.log('| bins | file | entries | installed: parse + toJSON ms | as published: parse + toJSON ms | published / installed |');
console.log('|---|---|---|---|---|---|');
for (const bits of BITS) {
  for (const [kind, json] of [['snapshot', snapshotJSON(bits)], ['bin', binJSON(bits)]]) {
    const mine = time(installed[kind], json);
    const theirs = time(published[kind], json);
    if (mine.bytes !== theirs.bytes) throw new Error(`${kind} at 2^${bits}: the canonical bytes differ`);
    const entries = Object.keys(json.signed.meta ?? json.signed.targets).length;
    const a = mine.parseMs + mine.toJSONMs, b = theirs.parseMs + theirs.toJSONMs;
    console.log(`| 2^${bits} | ${kind} | ${entries} | ${mine.parseMs} + ${mine.toJSONMs} | ${theirs.parseMs} + ${theirs.toJSONMs} | ${(b / a).toFixed(1)} |`);
  }
}
