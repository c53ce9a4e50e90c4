// Values shared by vitest.config.ts (Worker bindings) and the global setups that start the
// loopback services those bindings point at.
export const ELECTRIC_TEST_SECRET = "electric-test-secret-9f2c";
