/**
 * scripts/install.js, run the way npm runs it, in a scratch copy of the package: a failed build
 * leaves the install successful with the fix printed (or fails it with RLHFJS_NATIVE_KERNELS_STRICT=1),
 * RLHFJS_NATIVE_KERNELS=off skips the build, and an addon built from the same sources is kept.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const pkg = path.resolve(__dirname, '..');
const FIX = 'apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';
let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-native-install-'));
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) {
    fs.cpSync(path.join(pkg, entry), path.join(scratch, entry), { recursive: true });
  }
});

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs the install script in the scratch copy with a clean npm-less environment plus `env`. */
function install(env: Record<string, string>) {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: os.tmpdir() };
  return spawnSync(process.execPath, ['scripts/install.js'], { cwd: scratch, env: { ...base, ...env }, encoding: 'utf8' });
}

describe('the install script', () => {
  it('skips the build when RLHFJS_NATIVE_KERNELS=off', () => {
    const r = install({ RLHFJS_NATIVE_KERNELS: 'off' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('skipping the native build');
    expect(fs.existsSync(path.join(scratch, 'build'))).toBe(false);
  });

  it('exits 0 with the reason and the fix when the build fails, and 1 in strict mode', () => {
    // no node-gyp reachable from the scratch copy and none on PATH: the build cannot start
    const failing = { PATH: '/nonexistent' };
    const r = install(failing);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('the native addon did not build');
    expect(r.stderr).toContain(FIX);
    expect(install({ ...failing, RLHFJS_NATIVE_KERNELS_STRICT: '1' }).status).toBe(1);
  });

  const built = path.join(pkg, 'build', 'Release', 'rlhf_native_kernels.node');
  const stamp = path.join(pkg, 'build', 'Release', 'rlhf-build-stamp.json');
  (fs.existsSync(built) && fs.existsSync(stamp) ? it : it.skip)('keeps an addon built from the same sources instead of rebuilding', () => {
    const release = path.join(scratch, 'build', 'Release');
    fs.mkdirSync(release, { recursive: true });
    fs.copyFileSync(built, path.join(release, 'rlhf_native_kernels.node'));
    fs.copyFileSync(stamp, path.join(release, 'rlhf-build-stamp.json'));
    // the same build choice as the copied addon's (an addon built with RLHF_NATIVE_GEMM=own has no OpenBLAS)
    const own = (JSON.parse(fs.readFileSync(stamp, 'utf8')) as { openblas?: boolean }).openblas === false ? { RLHF_NATIVE_GEMM: 'own' } : {};
    const r = install({ PATH: '/nonexistent', ...own }); // a rebuild would fail here
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('the native addon is up to date');
    // a changed source makes the stamp stale: it tries to build (and fails without node-gyp)
    fs.appendFileSync(path.join(scratch, 'native', 'kernels.h'), '\n// changed\n');
    const stale = install({ PATH: '/nonexistent', ...own });
    expect(stale.stdout).not.toContain('up to date');
    expect(stale.stderr).toContain('did not build');
  });
});
