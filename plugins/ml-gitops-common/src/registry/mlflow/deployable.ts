import type { MlflowModelVersion } from './types';

/**
 * The model version tag that marks a version as rejected: a version whose
 * `validation_status` tag is `rejected` (any case) must not be deployed.
 *
 * @public
 */
export const REJECTED_TAG = {
  key: 'validation_status',
  value: 'rejected',
} as const;

/**
 * Why a model version must not be deployed: not READY, in the `Archived`
 * stage, or tagged `validation_status=rejected`. Empty when it may be.
 *
 * @public
 */
export function modelVersionBlockers(version: MlflowModelVersion): string[] {
  const id = `${version.name} version ${version.version}`;
  const blockers: string[] = [];
  if (version.status !== 'READY') {
    blockers.push(
      `${id} is ${version.status}, not READY${
        version.statusMessage ? ` (${version.statusMessage})` : ''
      }`,
    );
  }
  if (version.stage?.toLowerCase() === 'archived') {
    blockers.push(`${id} is in the Archived stage`);
  }
  const tag = version.tags[REJECTED_TAG.key];
  if (tag !== undefined && tag.trim().toLowerCase() === REJECTED_TAG.value) {
    blockers.push(`${id} is tagged ${REJECTED_TAG.key}=${tag}`);
  }
  return blockers;
}
