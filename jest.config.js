/** One jest run over every workspace: unit tests beside their package, end-to-end tests in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/core', '<rootDir>/plugins', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // core/templates holds the files `rlhf init plugin` copies: their tests run in the scaffolded
  // packages (test/plugin-kit/scaffold-e2e.test.ts), not here
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/core/templates/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/test/tmp/', '<rootDir>/core/templates/'],
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
