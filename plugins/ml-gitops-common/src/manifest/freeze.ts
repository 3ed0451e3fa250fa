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

import type { ManifestFreeze, ModelManifest } from './schema';

/**
 * The freeze of an environment that holds at `now`: the manifest's `freeze:`
 * when it has no `until`, or when `until` is later than `now`. A freeze whose
 * `until` has passed no longer holds (the block may stay in the file), and
 * neither does one whose `until` cannot be read as a time, which the
 * manifest schema refuses anyway.
 *
 * @public
 */
export function activeFreeze(
  manifest: ModelManifest,
  now: Date = new Date(),
): ManifestFreeze | undefined {
  const freeze = manifest.freeze;
  if (!freeze) {
    return undefined;
  }
  if (freeze.until === undefined) {
    return freeze;
  }
  const until = Date.parse(freeze.until);
  return Number.isFinite(until) && until > now.getTime() ? freeze : undefined;
}

/**
 * The freeze in words, for messages:
 * `frozen until 2026-12-24T00:00:00Z: "incident 4711"`, or without `until`
 * `frozen until a pull request removes it: "incident 4711"`.
 *
 * @public
 */
export function describeFreeze(freeze: ManifestFreeze): string {
  return `frozen ${
    freeze.until ? `until ${freeze.until}` : 'until a pull request removes it'
  }: ${JSON.stringify(freeze.reason)}`;
}
