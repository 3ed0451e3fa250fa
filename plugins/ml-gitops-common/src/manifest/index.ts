export * from './schema';
export * from './problems';
export { parseModelManifest } from './parse';
export type {
  ParseModelManifestOptions,
  ParseModelManifestResult,
} from './parse';
export { MAX_MANIFEST_BYTES, parseYamlStrict } from './yamlSafe';
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
