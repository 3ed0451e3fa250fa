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
import { MlGitopsStore } from '../database/MlGitopsStore';
import { OwnerNotifier } from '../notifications/OwnerNotifier';

/** States on the "not drifting" side of an episode. */
const settled = (state?: string) =>
  state === 'in-sync' || state === 'progressing' || state === 'missing';

/**
 * Opens a drift episode when an environment drifts and closes it when it
 * stops drifting; the owners hear of each once.
 */
export class DriftEpisodes {
  constructor(
    private readonly deps: { store: MlGitopsStore; notifier: OwnerNotifier },
  ) {}

  async track(
    target: { entityRef: string; entity: Entity },
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
    nowIso: string,
  ) {
    // Nothing to do while the stored state already was on the same side.
    const episodeKnown =
      (status.drift.state === 'drifted' && before?.drift.state === 'drifted') ||
      (settled(status.drift.state) && settled(before?.drift.state));
    if (episodeKnown) return;
    const { store, notifier } = this.deps;
    const { state, since, reason } = status.drift;
    if (state === 'drifted') {
      const { created } = await store.openDriftEpisode({
        entityRef: target.entityRef,
        environment: status.name,
        startedAt: since ?? nowIso,
        reason: reason ?? 'drifted',
      });
      if (created) {
        await notifier.driftStarted(target, status);
      }
    } else if (state !== 'unknown') {
      // Unknown says nothing about drift: an open episode stays open.
      const closed = await store.closeDriftEpisode(
        target.entityRef,
        status.name,
        nowIso,
      );
      if (closed) {
        await notifier.driftEnded(target, status, closed);
      }
    }
  }
}
