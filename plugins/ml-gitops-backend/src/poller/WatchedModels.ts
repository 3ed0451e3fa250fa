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

// The models the watches reported: collected for a moment, then resolved against the fleet read the watches keep.

import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { MlGitopsConfig } from '../config';
import { mapWithConcurrency } from './concurrency';
import { errorMessage } from './failures';
import { FleetReader } from './FleetReader';
import { ModelEntities } from './modelEntities';
import { ModelIndex } from './modelIndex';
import { ModelLocks } from './modelLocks';
import { ModelPoller } from './ModelPoller';
import { PolledModel, StatusSnapshot } from './StatusSnapshot';

/**
 * How long the watches' reports are collected before the models they
 * concern are resolved: a sync touches an Application several times in a
 * second, and one resolution (one write, one signal per model) follows.
 */
export const WATCH_DEBOUNCE_MS = 200;

/**
 * Resolves the models whose operator state a watch changed, after
 * {@link WATCH_DEBOUNCE_MS}, one batch after the other.
 */
export class WatchedModels {
  /** Models the watches reported since the last resolution of theirs. */
  private watched = new Set<string>();
  private timer?: ReturnType<typeof setTimeout>;
  /** The resolution of watched models running now, and the ones queued after it. */
  private flush: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      logger: LoggerService;
      config: MlGitopsConfig;
      fleet: FleetReader;
      entities: ModelEntities;
      index: ModelIndex;
      locks: ModelLocks;
      models: ModelPoller;
      snapshot: StatusSnapshot;
      now: () => Date;
    },
  ) {}

  /** Queues these models for the next resolution. */
  queue(models: Set<string>) {
    for (const model of models) this.watched.add(model);
    if (this.watched.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.resolveQueued();
    }, WATCH_DEBOUNCE_MS);
    this.timer.unref?.();
  }

  private resolveQueued() {
    const batch = this.watched;
    this.watched = new Set();
    this.flush = this.flush
      .then(() => this.resolve(batch))
      .catch(error =>
        this.deps.logger.error(
          `Resolving the models a watch reported failed: ${errorMessage(
            error,
          )}`,
        ),
      );
  }

  /**
   * Resolves what is queued now, without waiting for the debounce (or drops
   * it); then waits for every resolution begun.
   */
  async settle(options: { drop?: boolean } = {}): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (options.drop) {
        this.watched = new Set();
      } else {
        this.resolveQueued();
      }
    }
    await this.flush;
  }

  /**
   * Resolves the models against the fleet read as the watches keep it,
   * through the per-model path: Git's branch heads as last read, the
   * registry through its cache, the stored statuses from the database; then
   * writes the changed ones in one transaction and tells open pages.
   */
  private async resolve(models: Set<string>): Promise<void> {
    const { fleet: reader, index, locks, snapshot, logger } = this.deps;
    const fleet = reader.current();
    // Without a fleet read (prepareWatches failed) there is nothing to
    // resolve against; the next poll on this replica reads one.
    if (!fleet) return;
    const entityRefs = await index.ofModels(models);
    if (entityRefs.length === 0) return;
    const entities = await this.deps.entities.byRefs(entityRefs);
    // What the watches reported is news now, not when the fleet was listed.
    const view = { ...fleet, observedAt: this.deps.now().toISOString() };
    const releases: Array<() => void> = [];
    try {
      for (const entity of entities) {
        releases.push(await locks.lock(stringifyEntityRef(entity)));
      }
      const changed: PolledModel[] = [];
      await mapWithConcurrency(
        entities,
        this.deps.config.concurrency,
        async entity => {
          const entityRef = stringifyEntityRef(entity);
          try {
            // Another replica may have polled it since.
            const stored = await snapshot.readStored(entityRef);
            const polled = await this.deps.models.poll(entity, view, stored, {
              gitUnchanged: true,
            });
            if (polled.changed) changed.push(polled);
          } catch (error) {
            logger.error(
              `Resolving ${entityRef} after a watch report failed: ${errorMessage(
                error,
              )}`,
            );
          }
        },
      );
      await snapshot.write(changed);
      logger.debug(
        `A watch changed ${entityRefs.length} model(s); ${changed.length} stored`,
      );
    } finally {
      for (const release of releases) release();
    }
  }
}
