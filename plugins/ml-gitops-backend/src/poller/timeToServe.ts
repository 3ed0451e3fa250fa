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

import { Entity } from '@backstage/catalog-model';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { LiveObservation } from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsStore } from '../database/MlGitopsStore';
import { OwnerNotifier } from '../notifications/OwnerNotifier';
import type { LatestDeployments } from './deploymentChecks';

/**
 * Whether an environment's declared version serves: in sync (which, with a
 * serving object, means Ready, model loaded and its traffic), and not
 * Degraded in Argo CD (which also holds where no serving object is read).
 */
export function servesDeclared(status: EnvironmentStatus): boolean {
  return (
    status.drift.state === 'in-sync' &&
    !!status.declared &&
    status.live?.version === status.declared.version &&
    (!status.live.serving || status.live.serving.state === 'serving') &&
    !(
      status.live.source === 'argocd' && status.live.healthStatus === 'Degraded'
    )
  );
}

/**
 * Time to serve: the moment a deployment's declared version serves, kept
 * with the deployment; a rollback that took longer than
 * `mlGitops.rollbackTarget` is worth a word to the owners.
 */
export class TimeToServe {
  constructor(
    private readonly deps: {
      store: MlGitopsStore;
      notifier: OwnerNotifier;
      rollbackTargetMs: number;
    },
  ) {}

  /** Marks the deployment serving when it starts to (once per commit). */
  async track(
    target: { entityRef: string; entity: Entity },
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
    observation: LiveObservation | undefined,
    nowIso: string,
    latestDeployments?: LatestDeployments,
  ) {
    // What served at the same commit was marked serving then.
    const servedBefore =
      !!before &&
      servesDeclared(before) &&
      before.declared?.commit === status.declared?.commit &&
      before.declared?.version === status.declared?.version;
    if (servedBefore) return;
    // Seen live at this commit but not serving (a failing predictor,
    // Degraded): it started serving after that.
    const seenNotServing =
      before?.declared?.commit === status.declared?.commit &&
      before?.live?.version === status.declared?.version
        ? before?.live?.observedAt
        : undefined;
    await this.recordServing(
      target,
      status,
      observation,
      nowIso,
      seenNotServing,
      latestDeployments,
    );
  }

  /**
   * The moment the declared version serves, the deployment starts serving
   * (see `servesDeclared`): a rollback whose predictor fails is not served.
   */
  private async recordServing(
    target: { entityRef: string; entity: Entity },
    status: EnvironmentStatus,
    observation: LiveObservation | undefined,
    nowIso: string,
    seenNotServing?: string,
    latestDeployments?: LatestDeployments,
  ) {
    if (!status.declared || !status.live || !observation) return;
    if (!servesDeclared(status)) return;
    // When it started serving: with a serving object, the Ready condition's
    // last transition; without, the end of the operator's sync; either when
    // after the merge (and after this backend last saw it not serving) and
    // not in the future, otherwise this observation.
    const at = status.live.serving
      ? status.live.serving.since
      : observation.lastSyncFinishedAt;
    const servingAt =
      at &&
      Date.parse(at) >= Date.parse(status.declared.committedAt) &&
      !(seenNotServing && Date.parse(at) <= Date.parse(seenNotServing)) &&
      Date.parse(at) <= Date.parse(nowIso)
        ? at
        : nowIso;
    // The poll's read of the newest deployments saves the store its own;
    // when that read failed, the store reads again.
    const known = await latestDeployments?.().then(
      rows => ({ latest: rows.get(status.name) }),
      () => undefined,
    );
    const served = await this.deps.store.markServing(
      target.entityRef,
      status.name,
      status.declared.version,
      servingAt,
      known,
    );
    const targetSeconds = this.deps.rollbackTargetMs / 1000;
    if (
      served?.kind === 'rollback' &&
      served.timeToServeSeconds !== undefined &&
      served.timeToServeSeconds > targetSeconds
    ) {
      await this.deps.notifier.rollbackMissedTarget(
        target,
        status.name,
        {
          version: served.version,
          commit: served.commit,
          timeToServeSeconds: served.timeToServeSeconds,
        },
        targetSeconds,
      );
    }
  }
}
