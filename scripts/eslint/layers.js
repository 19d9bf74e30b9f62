// ESLint rule `spool/layers`: the import rule of docs/ARCHITECTURE.md.
//   plugins/P/…  may import core/index.js, lib/**, its own files, and another plugin's api.js only;
//   lib/…        may import lib/** and core/index.js (types of the media model), nothing else;
//   core/…       may import core/** only (the kernel knows no plugin and no media format).
// Tests (*.test.ts) and everything under test/ may import anything.
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

function verdict(fromParts, targetParts) {
  const [fromTop, fromPlugin] = fromParts;
  const [top, second] = targetParts;
  const path = targetParts.join('/');
  if (fromTop === 'plugins') {
    if (path === 'core/index.js' || top === 'lib') return undefined;
    if (
      top === 'plugins' &&
      (second === fromPlugin || (targetParts.length === 3 && targetParts[2] === 'api.js'))
    )
      return undefined;
    if (top === 'plugins')
      return `plugin "${fromPlugin}" imports ${path}: another plugin is reached only through its api.ts`;
    return `plugin "${fromPlugin}" imports ${path}: a plugin imports only core/index.ts, lib/ and other plugins' api.ts`;
  }
  if (fromTop === 'lib') {
    if (path === 'core/index.js' || top === 'lib') return undefined;
    return `lib/ imports ${path}: the media library imports only lib/ and core/index.ts`;
  }
  if (fromTop === 'core') {
    if (top === 'core') return undefined;
    return `core/ imports ${path}: the kernel imports no plugin, media library or test code`;
  }
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps the layers: kernel, media library, plugins (docs/ARCHITECTURE.md)' },
    schema: [],
    messages: { forbidden: '{{reason}}' },
  },
  create(context) {
    const file = relative(root, context.filename);
    const fromParts = file.split(sep);
    if (file.startsWith('..') || fromParts[0] === 'test' || /\.test\.ts$/.test(file)) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source));
      const reason = verdict(fromParts, target.split(sep));
      if (reason !== undefined) context.report({ node, messageId: 'forbidden', data: { reason } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};
