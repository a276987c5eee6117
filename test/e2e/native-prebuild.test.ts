/**
 * The published-package path of @rlhfjs/native-kernels: `npm run prebuild` (prebuildify) makes the
 * linux-x64 binary in a scratch copy of the package; a second copy that carries only that binary
 * (no build/, no node-gyp) installs and loads with a PATH that holds nothing but `node` (no g++, cc
 * or make), and says which GEMM it runs. A copy whose prebuilds/ has no binary for this platform
 * installs too, with the notice that tfjs keeps its stock wasm kernels.
 * Making the prebuild needs a compiler: without g++, make and python3 this test says it skipped.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const pkg = path.join(repo, 'plugins', 'native-kernels');
const tuple = `${process.platform}-${process.arch}`;

function onPath(cmd: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}
const missing = ['g++', 'make', 'python3'].filter((c) => !onPath(c));
const canBuild = process.platform === 'linux' && missing.length === 0 && fs.existsSync(path.join(pkg, 'dist', 'index.js'));
if (!canBuild) console.log(`native-prebuild.test.ts: skipped, making a prebuild needs ${missing.length ? missing.join(', ') : 'Linux and a built dist/'}`);
const describeBuild = canBuild ? describe : describe.skip;

let scratch: string;
let prebuilt: string;

/** A copy of the package as npm would unpack it from the registry: its files, node-gyp-build, and prebuilds when given. */
function unpack(dir: string, prebuilds?: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist']) {
    fs.cpSync(path.join(pkg, entry), path.join(dir, entry), { recursive: true });
  }
  fs.cpSync(path.join(repo, 'node_modules', 'node-gyp-build'), path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  if (prebuilds) fs.cpSync(prebuilds, path.join(dir, 'prebuilds'), { recursive: true });
}

/** PATH with `node` and nothing else. */
function bareEnv(): Record<string, string> {
  const bin = path.join(scratch, 'bare-bin');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  }
  return { PATH: bin, HOME: scratch };
}

function loadReport(dir: string): { ok: boolean; reason?: string; info: { gemm: string; blas: string } | null } {
  const code = "const nk = require('./dist'); const a = nk.nativeKernelsAvailable(); process.stdout.write(JSON.stringify({ ...a, info: nk.nativeBlasInfo() }))";
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, env: bareEnv(), encoding: 'utf8' });
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { ok: boolean; reason?: string; info: { gemm: string; blas: string } | null };
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-native-prebuild-'));
});

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describeBuild('a published package with prebuilt binaries', () => {
  it('makes the prebuild with npm run prebuild (prebuildify --napi --strip)', () => {
    const src = path.join(scratch, 'src');
    unpack(src);
    // prebuildify and node-gyp from the repository's node_modules
    fs.rmSync(path.join(src, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(src, 'node_modules'));
    const r = spawnSync(process.execPath, ['scripts/prebuild.js'], { cwd: src, encoding: 'utf8', env: { ...process.env, RLHF_NATIVE_GEMM: '' } });
    if (r.status !== 0) throw new Error(`prebuild failed:\n${r.stdout}\n${r.stderr}`);
    expect(r.stdout).toContain('prebuildify --napi --strip');
    const files = fs.readdirSync(path.join(src, 'prebuilds', tuple));
    expect(files.filter((f) => f.endsWith('.node'))).toHaveLength(1);
    prebuilt = path.join(src, 'prebuilds');
  }, 600_000);

  it('installs from the prebuild and loads with no compiler on PATH, saying which GEMM runs', () => {
    expect(prebuilt).toBeDefined();
    const env = bareEnv();
    for (const tool of ['g++', 'cc', 'make']) {
      expect(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env }).status).not.toBe(0);
    }
    const dir = path.join(scratch, 'installed');
    unpack(dir, prebuilt);
    const r = spawnSync(process.execPath, ['scripts/install.js'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`using the prebuilt binary prebuilds/${tuple}/\\S+\\.node \\(GEMM: own-(avx2|neon|scalar)\\); no compiler needed`));
    expect(fs.existsSync(path.join(dir, 'build'))).toBe(false);
    const loaded = loadReport(dir);
    expect(loaded.ok).toBe(true);
    // the prebuild carries the own GEMM, no system library: it names no OpenBLAS build
    expect(loaded.info?.blas).toBe('');
    expect(loaded.info?.gemm).toMatch(/^own-(avx2|neon|scalar)$/);
    if (process.arch === 'x64' && fs.readFileSync('/proc/cpuinfo', 'utf8').includes(' avx2 ')) expect(loaded.info?.gemm).toBe('own-avx2');
  });

  it('falls back to stock wasm kernels with a notice where no binary fits and nothing can build', () => {
    const dir = path.join(scratch, 'other-platform');
    // a package that carries a binary for another platform only
    const other = path.join(scratch, 'other-prebuilds');
    fs.mkdirSync(path.join(other, 'freebsd-riscv64'), { recursive: true });
    fs.copyFileSync(path.join(prebuilt, tuple, fs.readdirSync(path.join(prebuilt, tuple))[0]), path.join(other, 'freebsd-riscv64', 'rlhfjs+native-kernels.napi.node'));
    unpack(dir, other);
    const r = spawnSync(process.execPath, ['scripts/install.js'], { cwd: dir, env: bareEnv(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('the native addon did not build');
    expect(r.stderr).toContain(`no prebuilt binary for ${tuple}`);
    expect(r.stderr).toContain('tfjs keeps its stock wasm kernels');
    const loaded = loadReport(dir);
    expect(loaded.ok).toBe(false);
    expect(loaded.reason).toMatch(/^native kernels are off: the addon was not built and no prebuilt binary fits/);
  });
});
