#!/usr/bin/env node
import { existsSync } from 'node:fs';

const cli = new URL('../dist/core/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('spool: dist/ is missing; run "npm install" (or "npm run build") first\n');
  process.exit(1);
}
const { runCli } = await import(cli.href);
process.exitCode = await runCli(process.argv.slice(2));
