#!/usr/bin/env node
'use strict';
/**
 * `npm run prebuild`: builds the N-API binary this platform ships in the published package, into
 * prebuilds/<platform>-<arch>/ (prebuildify --napi --strip), where node-gyp-build finds it.
 * A prebuilt binary must run on every CPU of its architecture, so it is not built for the build
 * machine's CPU: x86-64-v2 on x64 (the AVX2/FMA GEMM is still picked at run time where the CPU
 * has it) and armv8-a on arm64, unless RLHFJS_NATIVE_MARCH says otherwise. It links OpenBLAS only
 * when RLHF_NATIVE_GEMM=openblas is set: a binary for machines without any system library.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env };
if (!env.RLHFJS_NATIVE_MARCH) {
  const march = { x64: 'x86-64-v2', arm64: 'armv8-a' }[process.arch];
  if (march && process.platform !== 'darwin' && process.platform !== 'win32') env.RLHFJS_NATIVE_MARCH = march;
}
if (env.RLHF_NATIVE_GEMM !== 'openblas') env.RLHF_NATIVE_GEMM = 'own';
// Node's headers from a distribution build (<prefix>/include/node) spare node-gyp a download.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = prefix;

const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
const args = [bin, '--napi', '--strip', ...process.argv.slice(2)];
console.log(`prebuildify --napi --strip (march ${env.RLHFJS_NATIVE_MARCH || 'default'}, GEMM ${env.RLHF_NATIVE_GEMM})`);
const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
