#!/usr/bin/env node
'use strict';
/**
 * Install step of @rlhfjs/native-kernels, in this order:
 * 1. an addon already built here from the same sources is kept (npm runs a workspace's install
 *    script on every `npm install`);
 * 2. a prebuilt binary that fits this platform and CPU architecture (prebuilds/<platform>-<arch>/,
 *    shipped in the published package, made by `npm run prebuild`) is used: no compiler needed;
 * 3. else the addon is built from source with node-gyp (with OpenBLAS where its headers are found,
 *    else with the package's own GEMM);
 * 4. else a notice: tfjs keeps its stock wasm kernels. A failed build is not an install failure
 *    unless RLHFJS_NATIVE_KERNELS_STRICT=1 (CI images that must ship the addon).
 * `npm rebuild` (or RLHFJS_NATIVE_BUILD_FROM_SOURCE=1) builds from source first and falls back on
 * a prebuilt binary only when that build fails.
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { haveOpenBlas } = require('./find-openblas.js');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'rlhf_native_kernels.node');
const stampFile = path.join(root, 'build', 'Release', 'rlhf-build-stamp.json');
const FIX = 'apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';
const TAG = '@rlhfjs/native-kernels:';

if (process.env.RLHFJS_NATIVE_KERNELS === 'off') {
  console.log(`${TAG} RLHFJS_NATIVE_KERNELS=off, skipping the native build`);
  process.exit(0);
}

/**
 * What the addon was built from: the sources, binding.gyp, the -march choice, the GEMM choice
 * (OpenBLAS found or not, RLHF_NATIVE_GEMM) and the platform. N-API addons do not depend on the
 * Node version, so it is not part of the stamp.
 */
function buildStamp() {
  const hash = crypto.createHash('sha256');
  const nativeDir = path.join(root, 'native');
  for (const f of fs.readdirSync(nativeDir).sort()) hash.update(f).update(fs.readFileSync(path.join(nativeDir, f)));
  hash.update(fs.readFileSync(path.join(root, 'binding.gyp')));
  hash.update(`${process.env.RLHFJS_NATIVE_MARCH || 'native'} ${process.platform} ${process.arch}`);
  hash.update(` openblas=${haveOpenBlas() ? 1 : 0}`);
  return hash.digest('hex');
}

/**
 * The prebuilt binary node-gyp-build would load for this platform (prebuilds/ only, not build/),
 * checked by loading it in a child process; returns { file, gemm } or null with the reason.
 */
function fittingPrebuild() {
  let file;
  try {
    process.env.PREBUILDS_ONLY = '1'; // read when node-gyp-build loads: skip build/Release
    const gypBuild = require(require.resolve('node-gyp-build', { paths: [root] }));
    file = gypBuild.path(root);
  } catch (err) {
    return { file: null, why: `no prebuilt binary for ${process.platform}-${process.arch} in ${path.join(root, 'prebuilds')}` };
  } finally {
    delete process.env.PREBUILDS_ONLY;
  }
  const probe = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(file)}).info().gemm)`], { encoding: 'utf8' });
  if (probe.status !== 0) return { file: null, why: `the prebuilt binary ${file} does not load here (${(probe.stderr || '').trim().split('\n')[0]})` };
  return { file, gemm: probe.stdout.trim() };
}

function usePrebuild(pre) {
  // node-gyp-build loads build/Release before prebuilds/: a stale build must not shadow the binary
  if (fs.existsSync(addon)) {
    fs.rmSync(addon, { force: true });
    fs.rmSync(stampFile, { force: true });
  }
  console.log(`${TAG} using the prebuilt binary ${path.relative(root, pre.file)} (GEMM: ${pre.gemm}); no compiler needed`);
  process.exit(0);
}

const fromSource = process.env.npm_command === 'rebuild' || process.env.RLHFJS_NATIVE_BUILD_FROM_SOURCE === '1';
const stamp = buildStamp();
// An up-to-date addon is kept (a rebuild would replace the file under running processes).
if (!fromSource && fs.existsSync(addon)) {
  try {
    if (JSON.parse(fs.readFileSync(stampFile, 'utf8')).stamp === stamp) {
      console.log(`${TAG} the native addon is up to date`);
      process.exit(0);
    }
  } catch {
    // no stamp or an unreadable one: build
  }
}

let prebuild = null;
if (!fromSource) {
  prebuild = fittingPrebuild();
  if (prebuild.file) usePrebuild(prebuild);
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

console.log(`${TAG} building the native addon from source (GEMM: ${haveOpenBlas() ? 'OpenBLAS' : 'own, OpenBLAS not found or not wanted'})`);
const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (result.status === 0) {
  fs.writeFileSync(stampFile, JSON.stringify({ stamp, openblas: haveOpenBlas() }) + '\n');
  process.exit(0);
}

const why = result.error ? result.error.message : `node-gyp exited with status ${result.status}`;
if (fromSource) {
  prebuild = fittingPrebuild();
  if (prebuild.file) {
    console.warn(`${TAG} the build from source failed (${why})`);
    usePrebuild(prebuild);
  }
}
console.warn(
  `\n${TAG} the native addon did not build (${why}), and ${prebuild ? prebuild.why : 'no prebuilt binary was looked for'}.\n` +
    'tfjs keeps its stock wasm kernels, which is correct but slower.\n' +
    `To turn native kernels on: ${FIX}\n`,
);
process.exit(process.env.RLHFJS_NATIVE_KERNELS_STRICT === '1' ? 1 : 0);
