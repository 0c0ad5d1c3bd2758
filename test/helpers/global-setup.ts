/** Runs once per `vitest run`, in the main process: says once whether the S3 and fixture suites run. */
import { fixturesRoot, haveFixtures } from './fixtures.js';

export default function setup(): void {
  if (!haveFixtures()) console.log(`Fixture suites skipped: no shared fixtures at ${fixturesRoot()} (set LAKE_FIXTURES to their directory).`);
  const configured = Boolean(process.env['S3_ENDPOINT'] || process.env['AWS_ENDPOINT_URL']);
  if (configured) {
    console.log(`S3 suite enabled: ${process.env['S3_ENDPOINT'] ?? process.env['AWS_ENDPOINT_URL']} (bucket ${process.env['LAKE_TEST_BUCKET'] ?? 'lakehouse-test'})`);
  } else if (process.env['CI']) {
    throw new Error('CI=true but S3_ENDPOINT is not set: the S3 suite must run in CI (see .ci/run).');
  } else {
    console.log('S3 suite skipped: set S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to run it (eval "$(../shared/s3/start-s3.sh)", or docker compose up and the exports in docker-compose.yml).');
  }
}
