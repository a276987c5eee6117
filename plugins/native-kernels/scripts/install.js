#!/usr/bin/env node
'use strict';
/**
 * Builds the native addon at install time. A failed build is not an install failure: the package
 * stays installed, `nativeKernelsAvailable()` reports why the addon is missing and how to build it,
 * and tfjs keeps its stock wasm kernels. Set RLHFJS_NATIVE_KERNELS_STRICT=1 to fail the install
 * instead (CI images that must ship the addon).
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'rlhf_native_kernels.node');
const stampFile = path.join(root, 'build', 'Release', 'rlhf-build-stamp.json');
const FIX = 'apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';

if (process.env.RLHFJS_NATIVE_KERNELS === 'off') {
  console.log('@rlhfjs/native-kernels: RLHFJS_NATIVE_KERNELS=off, skipping the native build');
  process.exit(0);
}

/**
 * What the addon was built from: the sources, binding.gyp, the -march choice and the platform.
 * N-API addons do not depend on the Node version, so it is not part of the stamp.
 */
function buildStamp() {
  const hash = crypto.createHash('sha256');
  const nativeDir = path.join(root, 'native');
  for (const f of fs.readdirSync(nativeDir).sort()) hash.update(f).update(fs.readFileSync(path.join(nativeDir, f)));
  hash.update(fs.readFileSync(path.join(root, 'binding.gyp')));
  hash.update(`${process.env.RLHFJS_NATIVE_MARCH || 'native'} ${process.platform} ${process.arch}`);
  return hash.digest('hex');
}

const stamp = buildStamp();
// `npm install` runs this for the workspace every time; an up-to-date addon is kept (a rebuild
// would replace the file under running processes). `npm rebuild` always builds.
if (process.env.npm_command !== 'rebuild' && fs.existsSync(addon)) {
  try {
    if (JSON.parse(fs.readFileSync(stampFile, 'utf8')).stamp === stamp) {
      console.log('@rlhfjs/native-kernels: the native addon is up to date');
      process.exit(0);
    }
  } catch {
    // no stamp or an unreadable one: build
  }
}

/** node-gyp: the copy npm runs install scripts with, else a local one, else the one on PATH. */
function nodeGypCommand() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  try {
    return [process.execPath, [require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })]];
  } catch {
    return ['node-gyp', []];
  }
}

const [cmd, pre] = nodeGypCommand();
const args = [...pre, 'rebuild'];
// Distribution builds of Node (Debian's /usr/bin/node) ship their headers under <prefix>/include/node;
// pointing node-gyp there avoids a header download, which fails on machines without internet.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
  args.push(`--nodedir=${prefix}`);
}

const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (result.status === 0) {
  fs.writeFileSync(stampFile, JSON.stringify({ stamp }) + '\n');
  process.exit(0);
}

const why = result.error ? result.error.message : `node-gyp exited with status ${result.status}`;
console.warn(
  `\n@rlhfjs/native-kernels: the native addon did not build (${why}).\n` +
    'tfjs keeps its stock wasm kernels, which is correct but slower.\n' +
    `To turn native kernels on: ${FIX}\n`,
);
process.exit(process.env.RLHFJS_NATIVE_KERNELS_STRICT === '1' ? 1 : 0);
