#!/usr/bin/env node
// Runs the compiled benchmarks (dist/test/bench/*.bench.js) one after another, each a plain node script
// printing its own results (markdown tables). Arguments filter by path substring, as in run-tests.mjs.
// Benchmarks are not tests: `npm test` never runs them.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const benchDir = join(dist, 'test', 'bench');
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));

let names;
try {
  names = readdirSync(benchDir);
} catch {
  names = [];
}
const files = names
  .filter((name) => name.endsWith('.bench.js'))
  .map((name) => join(benchDir, name))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-bench: no compiled benchmarks found under dist/test/bench/ (run "npm run build" first)');
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`run-bench: ${relative(dist, file)}`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) {
    failed++;
    console.error(`run-bench: ${relative(dist, file)} failed (${result.signal ?? `exit ${result.status}`})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
