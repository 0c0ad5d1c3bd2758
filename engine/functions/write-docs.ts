/**
 * `npm run docs:functions`: writes docs/functions.md from the registry (run from the repository
 * root). Deterministic: the file changes only when the registry does.
 */

import { writeFileSync } from 'node:fs';
import { functionsMarkdown } from './docs.js';

writeFileSync('docs/functions.md', functionsMarkdown());
process.stdout.write('wrote docs/functions.md\n');
