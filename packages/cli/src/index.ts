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

/**
 * `ml-gitops`: the pull-request check of an ML GitOps config repo.
 *
 * @packageDocumentation
 */
import { main } from './main';

main(process.argv.slice(2), {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
}).then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(
      `ml-gitops: internal error: ${error?.message ?? error}\n`,
    );
    process.exitCode = 2;
  },
);
