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

// Checks that every TypeScript and JavaScript source file in Git starts with
// the project's Apache-2.0 licence header; with --fix it adds the header
// where it is missing. Only a #! line or a Jest docblock (`@jest-environment`,
// which Jest reads from the file's first comment) may come before it.
//
//   node scripts/license-headers.mjs         # lists files without it, exit 1
//   node scripts/license-headers.mjs --fix   # adds it
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const HEADER = `/*
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
`;

const fix = process.argv.includes('--fix');
const files = execFileSync(
  'git',
  ['ls-files', '*.ts', '*.tsx', '*.js', '*.mjs', '*.cjs'],
  { encoding: 'utf8' },
)
  .split('\n')
  .filter(file => file && !/(^|\/)\.eslintrc\.js$/.test(file));

const missing = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  // A #! line, then a Jest docblock: one comment, not a span over several.
  const lead =
    /^(#![^\n]*\n)?(\/\*\*(?:(?!\*\/)[^])*@jest-environment(?:(?!\*\/)[^])*\*\/\n)?/.exec(
      text,
    )[0];
  const body = text.slice(lead.length);
  if (
    body.startsWith('/*\n * Copyright ') &&
    body.includes('Licensed under the Apache License, Version 2.0')
  ) {
    continue;
  }
  missing.push(file);
  if (fix) writeFileSync(file, `${lead}${HEADER}\n${body}`);
}

if (missing.length > 0 && !fix) {
  console.error(
    `${
      missing.length
    } file(s) lack the licence header; run node scripts/license-headers.mjs --fix:\n  ${missing.join(
      '\n  ',
    )}`,
  );
  process.exit(1);
}
if (fix) console.log(`added the licence header to ${missing.length} file(s)`);
