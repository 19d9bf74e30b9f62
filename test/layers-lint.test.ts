import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO_ROOT } from './helpers/spool-process.js';

/** Lints `code` as if it were the file at `path` (relative to the repository), with the repo's config. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === 'spool/layers').map((m) => m.message);
}

describe('the import rule (eslint spool/layers)', () => {
  test('a plugin importing another plugin’s internals, a kernel internal or test code fails lint', async () => {
    assert.deepEqual(
      await layerErrors(
        'plugins/writer-webm/x.ts',
        "export { MatroskaContainerWriter } from '../writer-mkv/matroska-writer.js';\n",
      ),
      [
        'plugin "writer-webm" imports plugins/writer-mkv/matroska-writer.js: another plugin is reached only through its api.ts',
      ],
    );
    assert.equal(
      (await layerErrors('plugins/transcoder/x.ts', "export * from '../../core/bus/bus.js';\n")).length,
      1,
    );
    assert.equal(
      (await layerErrors('plugins/transcoder/x.ts', "export * from '../../test/helpers/tmp.js';\n")).length,
      1,
    );
  });

  test('the media library imports no plugin; the kernel imports no plugin and no media library', async () => {
    assert.equal(
      (await layerErrors('lib/mp4/x.ts', "export type * from '../../plugins/recorder/api.js';\n")).length,
      1,
    );
    assert.equal((await layerErrors('core/x.ts', "export * from '../lib/codecs/index.js';\n")).length, 1);
    assert.equal((await layerErrors('core/x.ts', "export * from '../plugins/recorder/api.js';\n")).length, 1);
  });

  test('what the rule allows: core/index, lib/, own files, other plugins’ api.ts; tests import anything', async () => {
    const allowed = [
      "export * from '../../core/index.js';",
      "export * from '../../lib/mp4/boxes.js';",
      "export * from './config.js';",
      "export * from '../recorder/api.js';",
    ].join('\n');
    assert.deepEqual(await layerErrors('plugins/writer-mkv/x.ts', allowed + '\n'), []);
    assert.deepEqual(
      await layerErrors('plugins/writer-mkv/x.test.ts', "export * from '../writer-mp4/mp4-writer.js';\n"),
      [],
    );
  });
});
