/** Credentials in a warehouse URI never reach the output: refused with INVALID_URI, redacted everywhere. */
import { describe, expect, it } from 'vitest';
import { runLake } from '../helpers/cli.js';

describe('a warehouse URI with credentials', () => {
  for (const args of [['table', 'list'], ['sql', 'SELECT * FROM a.b'], ['table', 'show', 'a.b'], ['ingest', 'a.b', 'missing.csv']]) {
    it(`lake ${args.join(' ')}: refused, the secret is not printed`, async () => {
      const r = await runLake(args, 's3://AKIAEXAMPLEKEY:sup3rS3cretValue@bucket/wh');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/INVALID_URI/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/sup3rS3cretValue/);
      expect(r.stderr).toMatch(/AWS_ACCESS_KEY_ID/);
    });
  }
});
