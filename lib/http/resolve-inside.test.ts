import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TempDir } from '../../test/helpers/tmp.js';
import { resolveInside } from './resolve-inside.js';

const tmp = new TempDir('spool-lib-http-resolve-');
after(() => tmp.cleanup());
const base = join(tmp.path, 'base');
const outside = join(tmp.path, 'outside');
mkdirSync(outside);
tmp.file('base/page.html', 'page');
tmp.file('base/sub/app.js', 'app');
tmp.file('base/.hidden', 'hidden');
tmp.file('base/.private/file.txt', 'in a hidden folder');
tmp.file('outside/secret.txt', 'secret');
symlinkSync(join(base, 'page.html'), join(base, 'link.html'));
symlinkSync(join(base, 'sub'), join(base, 'sub-link'));
symlinkSync(join(outside, 'secret.txt'), join(base, 'escape.txt'));
symlinkSync(outside, join(base, 'escape-dir'));
symlinkSync(join(base, '.hidden'), join(base, 'to-hidden'));
symlinkSync(join(base, '.private'), join(base, 'to-private'));
symlinkSync(base, join(base, 'self'));
const realBase = realpathSync(base);

describe('resolveInside', () => {
  test('files and folders inside, also through symlinks that stay inside', async () => {
    const page = await resolveInside(base, ['page.html']);
    assert.equal(page?.path, join(realBase, 'page.html'));
    assert.ok(page?.stats.isFile());
    assert.equal((await resolveInside(base, ['sub', 'app.js']))?.path, join(realBase, 'sub', 'app.js'));
    assert.ok((await resolveInside(base, ['sub']))?.stats.isDirectory());
    assert.equal((await resolveInside(base, ['link.html']))?.path, join(realBase, 'page.html'));
    assert.equal((await resolveInside(base, ['sub-link', 'app.js']))?.path, join(realBase, 'sub', 'app.js'));
  });

  test('missing, the base itself, symlinks out and onto hidden names resolve to nothing', async () => {
    for (const names of [
      ['missing.html'],
      [],
      ['self'],
      ['escape.txt'],
      ['escape-dir', 'secret.txt'],
      ['escape-dir'],
      ['to-hidden'],
      ['to-private', 'file.txt'],
      ['.hidden'],
      ['..', 'outside', 'secret.txt'],
    ]) {
      assert.equal(await resolveInside(base, names), undefined, names.join('/'));
    }
  });

  test("the caller's hidden rule applies to every part of the real path", async () => {
    const isSub = (name: string) => name === 'sub';
    assert.equal(await resolveInside(base, ['sub-link', 'app.js'], isSub), undefined);
    assert.ok(await resolveInside(base, ['to-hidden'], () => false), 'no rule: a dot-file inside is found');
  });
});
