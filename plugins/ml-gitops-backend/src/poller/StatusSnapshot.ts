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
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  EnvironmentStatus,
  ML_GITOPS_SIGNAL_CHANNEL,
  statusSignalKey,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  MlGitopsStore,
  Silence,
  StatusWrite,
  StoredEnvironmentStatus,
} from '../database/MlGitopsStore';
import { errorMessage } from './failures';

/** A stored status as the poller last wrote or read it. */
export type SnapshotEntry = {
  model: string;
  status: EnvironmentStatus;
  observedFrom?: string;
  silence?: Silence;
};

/** The statuses of one polled model, and whether they differ from the stored ones. */
export type PolledModel = StatusWrite & { changed: boolean };

/** How many changed models are written in one transaction. */
const WRITE_BATCH = 100;

/**
 * Whether two JSON values are equal as JSON (an `undefined` property is the
 * same as a missing one), without building strings.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null
  ) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) {
      if (!sameJson(a[i], b[i])) return false;
    }
    return true;
  }
  return sameExcept(a, b);
}

/** Whether two JSON objects are equal as JSON but for the property `skip`. */
function sameExcept(x: object, y: object, skip?: string): boolean {
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  let keys = 0;
  for (const k in a) {
    if (k === skip || a[k] === undefined) continue;
    keys++;
    if (!sameJson(a[k], b[k])) return false;
  }
  for (const k in b) {
    if (k !== skip && b[k] !== undefined) keys--;
  }
  return keys === 0;
}

/**
 * Whether a newly computed status is the stored one in substance: all but
 * the live observation time, which follows the source every cycle.
 */
export function sameSubstance(
  entry: SnapshotEntry,
  status: EnvironmentStatus,
  observedFrom: string | undefined,
): boolean {
  if (entry.observedFrom !== observedFrom) return false;
  const before = entry.status;
  if (!sameExcept(status, before, 'live')) return false;
  if (!status.live || !before.live) return !status.live && !before.live;
  return sameExcept(status.live, before.live, 'observedAt');
}

function snapshotEntry(
  model: string,
  status: EnvironmentStatus,
  observedFrom?: string,
  silence?: Silence,
): SnapshotEntry {
  return { model, status, observedFrom, ...(silence ? { silence } : {}) };
}

/**
 * The stored statuses by entity ref and environment: read from the
 * database once, then kept up to date with this poller's writes and with
 * the rows other replicas wrote (read by `updated_at` each cycle). An
 * unchanged model costs no database statement; changed ones are written in
 * batches, and open pages are told.
 */
export class StatusSnapshot {
  private snapshot?: Map<string, Map<string, SnapshotEntry>>;
  private cursor?: string;
  /**
   * The `updatedAt` of the rows the snapshot holds, by entity ref (a
   * model's rows are written together): rows read again within the
   * cursor's margin, or this poller's own writes, are not parsed again.
   */
  private readonly heldAt = new Map<string, string>();

  constructor(
    private readonly deps: {
      logger: LoggerService;
      store: MlGitopsStore;
      signals?: SignalsService;
      /** When each deployment source last answered, kept in the store too. */
      sourceSeen: Map<string, string>;
    },
  ) {}

  /** Brings the snapshot of stored statuses up to date with the database. */
  async sync(): Promise<Map<string, Map<string, SnapshotEntry>>> {
    const { store, sourceSeen } = this.deps;
    if (!this.snapshot) {
      for (const [source, at] of Object.entries(
        await store.getSourceFreshness(),
      )) {
        if (!sourceSeen.has(source) || sourceSeen.get(source)! < at) {
          sourceSeen.set(source, at);
        }
      }
    }
    const snapshot = this.snapshot ?? new Map();
    const { items, cursor } = await store.listStatusesSince(
      this.snapshot ? this.cursor : undefined,
      (entityRef, updatedAt) =>
        snapshot.has(entityRef) && this.heldAt.get(entityRef) === updatedAt,
    );
    for (const item of items) {
      remember(snapshot, item);
      this.heldAt.set(item.entityRef, item.updatedAt);
    }
    this.snapshot = snapshot;
    this.cursor = cursor;
    return snapshot;
  }

  /**
   * One model's stored statuses as the database has them now: another
   * replica may have polled it since.
   */
  async readStored(entityRef: string): Promise<Map<string, SnapshotEntry>> {
    const stored = new Map<string, SnapshotEntry>();
    for (const s of await this.deps.store.getStatuses(entityRef)) {
      stored.set(
        s.status.name,
        snapshotEntry(s.model, s.status, s.observedFrom, s.silence),
      );
    }
    return stored;
  }

  /**
   * Collects a cycle's changed models and writes them {@link WRITE_BATCH}
   * at a time; a failed write is logged and the cycle goes on.
   */
  batchWriter(): {
    add(model: PolledModel): Promise<void>;
    flush(): Promise<void>;
  } {
    let pending: PolledModel[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      await this.write(batch).catch(error =>
        this.deps.logger.error(
          `Storing the status of ${
            batch.length
          } model(s) failed: ${errorMessage(error)}`,
        ),
      );
    };
    return {
      add: async model => {
        pending.push(model);
        if (pending.length >= WRITE_BATCH) {
          await flush();
        }
      },
      flush,
    };
  }

  /** Writes changed models in one transaction, then tells open pages. */
  async write(models: PolledModel[]): Promise<void> {
    if (models.length === 0) {
      return;
    }
    const writtenAt = await this.deps.store.writeStatuses(
      models.map(({ entityRef, model, statuses }) => ({
        entityRef,
        model,
        statuses,
      })),
    );
    for (const m of models) {
      if (this.snapshot) {
        this.heldAt.set(m.entityRef, writtenAt);
        const envs = new Map<string, SnapshotEntry>();
        for (const { status, observedFrom, silence } of m.statuses) {
          envs.set(
            status.name,
            snapshotEntry(m.model, status, observedFrom, silence),
          );
        }
        this.snapshot.set(m.entityRef, envs);
      }
    }
    const { signals } = this.deps;
    if (!signals) {
      return;
    }
    // One signal for the batch: a cold cycle writes thousands of models.
    await signals
      .publish({
        recipients: { type: 'broadcast' },
        channel: ML_GITOPS_SIGNAL_CHANNEL,
        message: { keys: models.map(m => statusSignalKey(m.entityRef)) },
      })
      .catch(error =>
        this.deps.logger.warn(
          `Publishing a signal failed: ${errorMessage(error)}`,
        ),
      );
  }

  /** Stores when each deployment source last answered. */
  async recordFreshness(): Promise<void> {
    await this.deps.store
      .recordSourceFreshness(Object.fromEntries(this.deps.sourceSeen))
      .catch(error =>
        this.deps.logger.warn(
          `Recording when the sources answered failed: ${errorMessage(error)}`,
        ),
      );
  }

  /** Forgets the models that left the catalog, here and in the store; their history stays. */
  async forgetAllBut(
    snapshot: Map<string, Map<string, SnapshotEntry>>,
    known: Set<string>,
  ): Promise<void> {
    for (const ref of snapshot.keys()) {
      if (!known.has(ref)) {
        snapshot.delete(ref);
        this.heldAt.delete(ref);
      }
    }
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.listModels({ limit: 500, after });
      for (const ref of page.entityRefs) {
        if (!known.has(ref)) {
          await this.deps.store.removeModel(ref);
        }
      }
      if (!page.more) break;
      after = page.entityRefs[page.entityRefs.length - 1];
    }
  }
}

function remember(
  snapshot: Map<string, Map<string, SnapshotEntry>>,
  item: StoredEnvironmentStatus,
) {
  let model = snapshot.get(item.entityRef);
  if (!model) {
    model = new Map();
    snapshot.set(item.entityRef, model);
  }
  model.set(
    item.status.name,
    snapshotEntry(item.model, item.status, item.observedFrom, item.silence),
  );
}
