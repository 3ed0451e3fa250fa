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

import { InputError } from '@backstage/errors';

/**
 * A config repo annotation as a URL; when it is not one, an InputError
 * that shows an annotation to copy (`example`: a repo URL on the host).
 */
export function parseConfigRepoUrl(
  repoUrl: string,
  example = 'https://github.com/acme/fraud-detector-config',
): URL {
  try {
    return new URL(repoUrl);
  } catch {
    throw new InputError(
      `The config repo "${repoUrl}" is not a URL; annotate the entity with e.g. ml-gitops/config-repo: ${example}`,
    );
  }
}
