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
import { DriftEpisode, MlGitopsStore } from '../database/MlGitopsStore';
import { ReadsInTurn } from '../lib/readsInTurn';
import { OwnerNotifier } from '../notifications/OwnerNotifier';

/** States on the "not drifting" side of an episode. */
const settled = (state?: string) =>
  state === 'in-sync' || state === 'progressing' || state === 'missing';

/**
 * Opens a drift episode when an environment drifts and closes it when it
 * stops drifting; the owners hear of each once.
 */
/**
 * Whether an environment of one model has an open drift episode, read for
 * all its environments at the first question (one query per model poll,
 * not one per environment, shared by the models that ask in the same turn).
 */
export type OpenDriftEpisodes = { has(environment: string): Promise<boolean> };

export class DriftEpisodes {
  /** The models polled side by side ask in one statement (see ReadsInTurn). */
  private readonly openReads: ReadsInTurn<DriftEpisode[]>;

  constructor(
    private readonly deps: { store: MlGitopsStore; notifier: OwnerNotifier },
  ) {
    this.openReads = new ReadsInTurn(entityRefs =>
      deps.store.listOpenDriftEpisodesOf(entityRefs),
    );
  }

  /** The open episodes of `entityRef`, read once when first asked. */
  openOf(entityRef: string): OpenDriftEpisodes {
    let open: Promise<Set<string>> | undefined;
    return {
      has: async environment => {
        open ??= this.openReads
          .get(entityRef)
          .then(episodes => new Set((episodes ?? []).map(e => e.environment)));
        return (await open).has(environment);
      },
    };
  }

  async track(
    target: { entityRef: string; entity: Entity },
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
    nowIso: string,
    open: OpenDriftEpisodes = this.openOf(target.entityRef),
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
      // Closing reads the episode again and ends it only if still open, as
      // another replica may have ended it since.
      if (!(await open.has(status.name))) return;
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
