/**
 * The plugin conformance kit (`import { testPluginPackage } from '@rlhfjs/core/testing'`) and helpers
 * for tests that run recipes the way a user does (`makeProject`, `rlhf`).
 * Kept out of the main entry so that a run never loads it.
 */
import 'reflect-metadata';

export {
  testPluginPackage,
  checkPluginPackage,
  checkPackageExport,
  checkPackageJson,
  checkOptionsSchema,
  checkDefaults,
  checkFactory,
  buildPlugin,
  runBuiltJob,
  pluginsOf,
  rangeAdmits,
  cpuRuntime,
  minimalRecipe,
  PLUGIN_PACKAGE_NAME,
  PLUGIN_KEYWORD,
  type ConformanceOptions,
  type CheckResult,
  type PackageJsonLike,
  type BuiltPlugin,
} from './conformance';
export { checkContract, SAMPLE_BATCH, CALL_TIMEOUT_MS } from './contract-checks';
export { diagnosticThrownBy } from './diagnostics';
export { BigramPolicy, CharTokenizer } from './test-policy';
export { buildExperience, checkAlgorithmUpdate, TEST_SAMPLING, type ExperienceOptions } from './algorithm-checks';
export { makeProject, rlhf, type TestProject } from './project';
