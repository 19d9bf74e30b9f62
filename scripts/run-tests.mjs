#!/usr/bin/env node
// Runs the compiled tests with node's test runner: unit tests beside the code (core/, lib/, plugins/)
// and integration tests with real peers (test/). `--unit` runs only the unit tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));

function findTests(dir) {
  let found = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const dirs = unitOnly ? ['core', 'lib', 'plugins'] : ['core', 'lib', 'plugins', 'test'];
const files = dirs
  .flatMap((dir) => findTests(join(dist, dir)))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no compiled tests found under dist/ (run "npm run build" first)');
  process.exit(1);
}
console.log(`run-tests: ${files.length} test file(s): ${files.map((f) => relative(dist, f)).join(' ')}`);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-timeout=300000', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
