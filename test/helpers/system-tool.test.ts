import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from './spool-process.js';
import { DEBIAN_PACKAGES, inCi, requireTool } from './system-tool.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'missing-tool-child.js');

interface ChildRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the fixture's two tests with CI as given (undefined: unset), whatever this process runs under. */
function runChild(ci: string | undefined): Promise<ChildRun> {
  const env = { ...process.env };
  delete env.CI;
  // Set by `node --test` for its children, it would make the fixture report in the runner's own
  // protocol instead of TAP.
  delete env.NODE_TEST_CONTEXT;
  if (ci !== undefined) env.CI = ci;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--test-reporter=tap', CHILD], { env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

const count = (text: string, part: string): number => text.split(part).length - 1;

describe('inCi', () => {
  test('CI=true, CI=1 and any other value are CI; unset, empty, 0 and false are not', () => {
    for (const value of ['true', '1', 'TRUE', 'yes', 'woodpecker'])
      assert.equal(inCi({ CI: value }), true, value);
    for (const value of [undefined, '', '0', 'false', 'False'])
      assert.equal(inCi({ CI: value }), false, value);
  });
});

describe('requireTool', () => {
  test('gives the path of a tool on PATH and leaves the test running', (t) => {
    assert.match(requireTool(t, 'sh', 'run a shell', 'dash') ?? '', /\/sh$/);
  });

  test('refuses a tool whose Debian package it does not know', (t) => {
    assert.throws(() => requireTool(t, 'spool-no-such-tool', 'run it'), /no Debian package known/);
  });

  test('every Debian package it names is one .ci/apt-packages.txt installs', () => {
    const listed = readFileSync(join(REPO_ROOT, '.ci', 'apt-packages.txt'), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.trim());
    for (const [tool, packages] of Object.entries(DEBIAN_PACKAGES)) {
      for (const name of packages.split(' ')) assert.ok(listed.includes(name), `${tool}: ${name}`);
    }
  });
});

describe('a missing tool, in a child process', () => {
  for (const ci of [undefined, '0', 'false']) {
    test(`CI${ci === undefined ? ' unset' : `=${ci}`}: the test is skipped, saying why; a substitute is announced once`, async () => {
      const { code, stdout, stderr } = await runChild(ci);
      assert.equal(code, 0, stdout + stderr);
      assert.match(
        stdout,
        /^ok 1 - needs a tool that is not installed # SKIP spool-no-such-tool is unavailable \(not on PATH\), so this test cannot run the missing tool; install the Debian package spool-no-such-package/m,
      );
      assert.match(stdout, /^# skipped 1$/m);
      assert.match(stdout, /^# pass 1$/m);
      assert.equal(
        count(stderr, 'SKIPPED "needs a tool that is not installed": spool-no-such-tool'),
        1,
        stderr,
      );
      assert.equal(
        count(stderr, 'spool-no-such-tool is unavailable (not on PATH): using the substitute'),
        1,
        stderr,
      );
    });
  }

  for (const ci of ['true', '1']) {
    test(`CI=${ci}: both tests fail, naming the tool and its Debian package`, async () => {
      const { code, stdout } = await runChild(ci);
      assert.equal(code, 1, stdout);
      assert.match(stdout, /^not ok 1 - needs a tool that is not installed$/m);
      assert.match(stdout, /^not ok 2 - uses a substitute for a tool that is not installed$/m);
      assert.match(
        stdout,
        new RegExp(
          `CI=${ci} and spool-no-such-tool is unavailable: not on PATH \\(needed to run the missing tool\\); install the Debian package spool-no-such-package`,
        ),
      );
      assert.match(stdout, /^# fail 2$/m);
    });
  }
});
