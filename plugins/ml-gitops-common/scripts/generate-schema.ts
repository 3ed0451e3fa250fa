/*
 * Writes schema/model.schema.json from the zod schema of deploy/model.yaml,
 * formatted with the repository's prettier. Run with `yarn generate:schema`;
 * a test fails when the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getModelManifestJsonSchema } from '../src/manifest/schema';

const target = resolve(__dirname, '../schema/model.schema.json');
let text = `${JSON.stringify(getModelManifestJsonSchema(), null, 2)}\n`;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prettier = require('prettier');
  text = prettier.format(text, { parser: 'json' });
} catch {
  // prettier is optional: the plain JSON is equally valid
}
writeFileSync(target, text);
process.stdout.write(`wrote ${target}\n`);
