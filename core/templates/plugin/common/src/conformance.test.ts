import { testPluginPackage } from '@rlhfjs/core/testing';

// The rlhfjs plugin conformance kit, on the built package (what a recipe loads): schema,
// defaults, factory and contract of every plugin, and the package.json conventions.
testPluginPackage(require('..').default ?? require('..'), { packageJson: require('../package.json') });
