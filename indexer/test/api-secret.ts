/**
 * The secret the test indexers require and the tests' web servers send (INDEXER_API_SECRET): one value for
 * both, so a production-build web server started by a test (web/test/support/server-process.ts) talks to an
 * indexer started by indexer/test/support.ts. No imports, so the web tests' support can read it cheaply.
 * Never a deployment's secret.
 */
export const TEST_INDEXER_API_SECRET = "coinpays-test-indexer-api-secret-0123456789";
