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

import { rejectionBlockerMessage } from '../rejectionMessage';
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
 * The model version tags of a rejection: `validation_status=rejected` blocks
 * the version (any case); who rejected it, when and why are kept next to it.
 * ML GitOps sets all four when it rejects a version (a rollback leaves it)
 * and deletes them when it un-rejects one; an evaluation pipeline may set
 * `validation_status` alone.
 *
 * @public
 */
export const REJECTION_TAGS = {
  status: 'validation_status',
  reason: 'ml-gitops.rejected_reason',
  by: 'ml-gitops.rejected_by',
  at: 'ml-gitops.rejected_at',
} as const;

/**
 * Why, by whom and when a version was rejected, as far as its tags say.
 *
 * @public
 */
export type VersionRejection = {
  /** `ml-gitops.rejected_reason`. */
  reason?: string;
  /** `ml-gitops.rejected_by`, e.g. `user:default/alice`. */
  by?: string;
  /** `ml-gitops.rejected_at`, ISO 8601. */
  at?: string;
};

/**
 * The rejection of a version: defined when its `validation_status` tag is
 * `rejected` (any case, surrounding spaces ignored), with the reason, who
 * and when from the other {@link REJECTION_TAGS} when they are set.
 *
 * @public
 */
export function versionRejection(
  version: Pick<MlflowModelVersion, 'tags'>,
): VersionRejection | undefined {
  const status = version.tags[REJECTION_TAGS.status];
  if (
    status === undefined ||
    status.trim().toLowerCase() !== REJECTED_TAG.value
  ) {
    return undefined;
  }
  const rejection: VersionRejection = {};
  for (const field of ['reason', 'by', 'at'] as const) {
    const value = version.tags[REJECTION_TAGS[field]]?.trim();
    if (value) rejection[field] = value;
  }
  return rejection;
}

/**
 * Why a rejected version must not be deployed, quoting the reason, who and
 * when; undefined for a version that is not rejected. E.g. "fraud-detector
 * version 12 is rejected: 'p95 latency doubled' (by user:default/alice,
 * 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject before
 * deploying it".
 *
 * @public
 */
export function modelVersionRejectionBlocker(
  version: MlflowModelVersion,
): string | undefined {
  const rejection = versionRejection(version);
  if (!rejection) {
    return undefined;
  }
  return rejectionBlockerMessage(
    `${version.name} version ${version.version}`,
    rejection,
    `${REJECTION_TAGS.status} tag`,
    `is tagged ${REJECTION_TAGS.status}=${version.tags[
      REJECTION_TAGS.status
    ].trim()}`,
  );
}

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
 * stage, or rejected ({@link modelVersionRejectionBlocker}). Empty when it
 * may be.
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
  const rejected = modelVersionRejectionBlocker(version);
  if (rejected) {
    blockers.push(rejected);
  }
  return blockers;
}
