#!/usr/bin/env node
// Time of pack's ELF check (bundle/src/elf-check.ts) over a folder: every regular file's first 20 bytes.
// Usage (after `npx tsc --build bundle`): node bench/elf-check.cjs DIR
const { join } = require('node:path');
const { listTree } = require(join(__dirname, '..', 'bundle', 'dist', 'src', 'index.js'));
const { checkElfArchitectures } = require(join(__dirname, '..', 'bundle', 'dist', 'src', 'elf-check.js'));
(async () => {
  const dir = process.argv[2];
  const entries = await listTree(dir);
  const files = entries.filter((e) => e.type === 'file').length;
  const t = process.hrtime.bigint();
  try { await checkElfArchitectures({ architectures: ['amd64'] }, dir, entries); } catch (e) { console.log('refused:', e.message); }
  console.log(`${files} files, ELF check ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`);
})();
