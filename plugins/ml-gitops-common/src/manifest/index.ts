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

export * from './schema';
export * from './problems';
export { parseModelManifest } from './parse';
export type {
  ParseModelManifestOptions,
  ParseModelManifestResult,
} from './parse';
export { MAX_MANIFEST_BYTES } from './decodeInput';
export { parseYamlStrict } from './yamlSafe';
export type { ParseYamlStrictOptions, StrictYaml } from './yamlSafe';
export { setModelVersion } from './edit';
export type { SetModelVersionOptions } from './edit';
export {
  KSERVE_STORAGE_SCHEMES,
  kserveStorageUriProblem,
  MAX_STORAGE_URI_LENGTH,
} from './storageUri';
export { setManifestFreeze } from './edit';
export { activeFreeze, describeFreeze } from './freeze';
