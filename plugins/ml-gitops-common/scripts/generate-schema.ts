/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

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
