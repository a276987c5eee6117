/** One jest run over every workspace: unit tests beside their package, end-to-end tests in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/core', '<rootDir>/plugins', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/test/tmp/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    // tests run against sources, so every package sees the same module instances
    '^@rlhfjs/core$': '<rootDir>/core/src/index.ts',
    '^@rlhfjs/core/testing$': '<rootDir>/core/src/testing/index.ts',
    '^@rlhfjs/plugin-lm/testing$': '<rootDir>/plugins/lm/src/testing/index.ts',
    '^@rlhfjs/native-kernels$': '<rootDir>/plugins/native-kernels/src/index.ts',
    '^@rlhfjs/plugin-(lm|algorithms|rewards|loggers)$': '<rootDir>/plugins/$1/src/index.ts',
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
};
