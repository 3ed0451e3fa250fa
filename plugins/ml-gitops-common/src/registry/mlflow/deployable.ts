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
 * The registration states of MLflow's `ModelVersionStatus` enum
 * (mlflow/protos/model_registry.proto): a version is created
 * PENDING_REGISTRATION while the server finishes registering it, then becomes
 * READY or FAILED_REGISTRATION. Only READY may be deployed.
 *
 * @public
 */
export const MODEL_VERSION_STATUS = {
  ready: 'READY',
  pending: 'PENDING_REGISTRATION',
  failed: 'FAILED_REGISTRATION',
} as const;

/**
 * Why a version that is not READY must not be deployed, naming its
 * registration state; undefined for a READY version.
 *
 * @public
 */
export function modelVersionRegistrationBlocker(
  version: MlflowModelVersion,
): string | undefined {
  return version.status === MODEL_VERSION_STATUS.ready
    ? undefined
    : registrationBlocker(
        `${version.name} version ${version.version}`,
        version,
      );
}

function registrationBlocker(id: string, version: MlflowModelVersion): string {
  const detail = version.statusMessage ? ` (${version.statusMessage})` : '';
  switch (version.status) {
    case MODEL_VERSION_STATUS.pending:
      return `${id} is PENDING_REGISTRATION, not READY${detail}: MLflow is still registering it; wait until it is READY and re-run`;
    case MODEL_VERSION_STATUS.failed:
      return `${id} is FAILED_REGISTRATION, not READY${detail}: its registration failed; register the model again and use the new version`;
    default:
      return `${id} is ${
        version.status || 'without a registration status'
      }, not READY${detail}`;
  }
}

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
    blockers.push(registrationBlocker(id, version));
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
