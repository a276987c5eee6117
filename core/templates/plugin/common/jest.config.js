/**
 * Tests run on the TypeScript sources with ts-jest, type-checked against tsconfig.json; the
 * conformance test loads the built package (npm test builds first). TS151002 is ts-jest's notice
 * that module node16 is transpiled file by file, which is what this package wants.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  testTimeout: 60000,
};
