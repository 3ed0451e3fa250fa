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

import { LoggerService } from '@backstage/backend-plugin-api';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { LatestDeployment, MlGitopsStore } from '../database/MlGitopsStore';
import { errorMessage } from './failures';

/** A model's newest deployment per environment, read once per poll. */
export type LatestDeployments = () => Promise<Map<string, LatestDeployment>>;

/**
 * Keeps with a deployment what this backend read on its first poll after
 * the merge, for the audit export: the registry's facts and gate verdict
 * for the deployed version and the freeze of the environment. Once per
 * declared commit (the store keeps the first); a registry that could not
 * be read is asked again next cycle.
 *
 * `recordedNow` says that this poll recorded deployments of the
 * environment: a declaration met first at a branch's head has its row
 * only once the history walk reaches its commit, a later cycle's, and the
 * checks are kept then, read on that poll.
 */
export async function recordDeploymentChecks(
  deps: { store: MlGitopsStore; logger: LoggerService },
  entityRef: string,
  status: EnvironmentStatus,
  before: EnvironmentStatus | undefined,
  nowIso: string,
  options: {
    latestDeployments?: LatestDeployments;
    recordedNow?: boolean;
  } = {},
) {
  const { latestDeployments, recordedNow = false } = options;
  const { declared, registry, freeze } = status;
  if (
    !declared ||
    registry?.gate === 'unknown' ||
    (registry?.version !== undefined && registry.version !== declared.version)
  ) {
    return;
  }
  const known =
    before?.declared?.commit === declared.commit &&
    (before.registry === null ||
      (before.registry?.version === declared.version &&
        before.registry.gate !== 'unknown'));
  if (known && !recordedNow) {
    return;
  }
  if (latestDeployments) {
    // Nothing to update where the environment has no deployment yet (its
    // history is still to be read), or its newest is this commit's and
    // keeps its checks already. An older commit's row is left to the update.
    // The read only saves an update: when it fails, the update (guarded by
    // the store) decides, and the poll goes on.
    const newest = await latestDeployments().then(
      rows => ({ known: true as const, latest: rows.get(status.name) }),
      () => ({ known: false as const }),
    );
    if (
      newest.known &&
      (!newest.latest ||
        (newest.latest.deployment.commit === declared.commit &&
          newest.latest.hasChecks))
    ) {
      return;
    }
  }
  await deps.store
    .recordDeploymentChecks(entityRef, status.name, declared.commit, {
      checkedAt: nowIso,
      registry: registry
        ? {
            exists: registry.exists,
            gate: registry.gate,
            metrics: registry.metrics,
            ...(registry.thresholds ? { thresholds: registry.thresholds } : {}),
            ...(registry.rejected ? { rejected: registry.rejected } : {}),
            ...(registry.registeredAt
              ? { registeredAt: registry.registeredAt }
              : {}),
          }
        : null,
      ...(freeze
        ? {
            frozen: {
              reason: freeze.reason,
              ...(freeze.until ? { until: freeze.until } : {}),
            },
          }
        : {}),
    })
    .catch(error =>
      deps.logger.warn(
        `Keeping the checks of ${entityRef} ${status.name} ${
          declared.commit
        } failed: ${errorMessage(error)}`,
      ),
    );
}
