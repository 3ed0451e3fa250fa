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

import {
  HealthResponse,
  PollSourceHealth,
  PollSourceKind,
} from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsStore } from '../database/MlGitopsStore';

/** The cache row that holds the poller's health, shared by all replicas. */
export const POLL_HEALTH_KEY = 'ml-gitops:poll-health';

/** What one replica knows of one outside system. */
type SourceRecord = {
  kind: PollSourceKind;
  /** When it was last asked; the newer record of two replicas wins. */
  checkedAt: string;
  lastSuccessAt?: string;
  failure?: { message: string; since: string };
};

/**
 * The poller's health as stored (an addition to the design contract:
 * `GET /v1/health` answers from it).
 */
export type StoredPollHealth = {
  cycle: HealthResponse['cycle'];
  sources: Record<string, SourceRecord>;
  /**
   * Models whose poll failed in the last cycle, each with the start of the
   * last cycle that polled it (null: none did).
   */
  failedModels: Record<string, string | null>;
};

function later(a?: string, b?: string): string | undefined {
  if (!a || !b) return a ?? b;
  return a > b ? a : b;
}

/**
 * Collects what each outside system answered during the poll cycles of
 * this replica, and writes it at the end of each cycle into the store,
 * merged with what other replicas wrote, so the replica that answers
 * `GET /v1/health` need not be the one that polled.
 *
 * Config repos are counted per Git host: the host is failing while one of
 * the config repos polled in the last cycle cannot be read; the reason of
 * each repo stays with its model's status (it names the repo, which a
 * reader of the health of the whole fleet may not be allowed to see).
 */
export class PollHealth {
  private readonly sources = new Map<string, SourceRecord>();
  /** Host → config repo → its failure. */
  private readonly repoFailures = new Map<
    string,
    Map<string, { message: string; since: string }>
  >();

  /** A source answered at `at`. */
  succeeded(name: string, kind: PollSourceKind, at: string) {
    this.sources.set(name, { kind, checkedAt: at, lastSuccessAt: at });
  }

  /** A source failed at `at`; `since` is when it started failing. */
  failed(
    name: string,
    kind: PollSourceKind,
    failure: { message: string; since: string },
    at: string,
  ) {
    const before = this.sources.get(name);
    this.sources.set(name, {
      kind,
      checkedAt: at,
      ...(before?.lastSuccessAt ? { lastSuccessAt: before.lastSuccessAt } : {}),
      failure: {
        message: failure.message,
        since: before?.failure?.since ?? failure.since,
      },
    });
  }

  /** A config repo on `host` was read (no failure) or not. */
  gitRead(
    host: string,
    repo: string,
    failure: { message: string; since: string } | undefined,
    at: string,
  ) {
    let repos = this.repoFailures.get(host);
    if (!repos) {
      repos = new Map();
      this.repoFailures.set(host, repos);
    }
    const name = `git:${host}`;
    const before = this.sources.get(name);
    if (failure) {
      repos.set(repo, failure);
    } else {
      repos.delete(repo);
    }
    this.sources.set(name, {
      kind: 'git',
      checkedAt: at,
      ...(failure
        ? before?.lastSuccessAt && { lastSuccessAt: before.lastSuccessAt }
        : { lastSuccessAt: at }),
    });
  }

  /** The Git hosts as records, from the config repos polled in a cycle. */
  private gitRecords(polledRepos: Map<string, string>) {
    const total = new Map<string, number>();
    for (const host of polledRepos.values()) {
      total.set(host, (total.get(host) ?? 0) + 1);
    }
    for (const [host, repos] of this.repoFailures) {
      for (const repo of repos.keys()) {
        if (polledRepos.get(repo) !== host) repos.delete(repo);
      }
      const name = `git:${host}`;
      const record = this.sources.get(name);
      if (!record) continue;
      const failing = [...repos.values()];
      if (failing.length === 0) {
        delete record.failure;
        continue;
      }
      const since = failing.map(f => f.since).sort()[0];
      record.failure = {
        message: `${failing.length} of ${
          total.get(host) ?? failing.length
        } config repos on ${host} could not be read; each model's status names its repo and the reason`,
        since,
      };
    }
  }

  /**
   * Writes the end of a full cycle: merges this replica's records with the
   * stored ones (the newer check of a source wins; its last success is the
   * latest either saw), keeps only the sources in `expected`, and records
   * which models failed.
   */
  async finishCycle(
    store: MlGitopsStore,
    cycle: {
      startedAt: string;
      finishedAt: string;
      models: number;
      failedModels: string[];
      /** Config repo → its host, of the models polled. */
      polledRepos: Map<string, string>;
      /** The names of the sources configured now (Git hosts are added). */
      expected: Set<string>;
    },
  ): Promise<void> {
    this.gitRecords(cycle.polledRepos);
    const stored = await PollHealth.read(store);
    const expected = new Set(cycle.expected);
    for (const host of cycle.polledRepos.values()) expected.add(`git:${host}`);
    const sources: Record<string, SourceRecord> = {};
    for (const name of expected) {
      const mine = this.sources.get(name);
      const theirs = stored?.sources[name];
      const newer =
        mine && (!theirs || mine.checkedAt >= theirs.checkedAt) ? mine : theirs;
      if (!newer) continue;
      const lastSuccessAt = later(mine?.lastSuccessAt, theirs?.lastSuccessAt);
      sources[name] = {
        ...newer,
        ...(lastSuccessAt ? { lastSuccessAt } : {}),
      };
    }
    const failedModels: Record<string, string | null> = {};
    for (const entityRef of cycle.failedModels) {
      const before = stored?.failedModels[entityRef];
      failedModels[entityRef] =
        before !== undefined
          ? before
          : stored?.cycle.lastCompleted?.startedAt ?? null;
    }
    const health: StoredPollHealth = {
      cycle: {
        lastCompleted: {
          startedAt: cycle.startedAt,
          finishedAt: cycle.finishedAt,
          durationMs:
            Date.parse(cycle.finishedAt) - Date.parse(cycle.startedAt),
          models: cycle.models,
          failedModels: cycle.failedModels.length,
        },
      },
      sources,
      failedModels,
    };
    await store.setCacheValue(POLL_HEALTH_KEY, health);
  }

  /** Records a cycle that failed as a whole; the last completed one stays. */
  async failCycle(
    store: MlGitopsStore,
    failure: { message: string; at: string },
  ): Promise<void> {
    const stored = await PollHealth.read(store);
    await store.setCacheValue<StoredPollHealth>(POLL_HEALTH_KEY, {
      cycle: { ...stored?.cycle, failure },
      sources: stored?.sources ?? {},
      failedModels: stored?.failedModels ?? {},
    });
  }

  static async read(
    store: MlGitopsStore,
  ): Promise<StoredPollHealth | undefined> {
    return store.getCacheValue<StoredPollHealth>(POLL_HEALTH_KEY);
  }

  /**
   * When the backend last polled a model, from the stored health: the start
   * of the last completed cycle, or for a model whose poll failed in it, of
   * the last cycle that polled it.
   */
  static modelObservedAt(
    health: StoredPollHealth | undefined,
    entityRef: string,
  ): string | undefined {
    if (!health) return undefined;
    if (entityRef in health.failedModels) {
      return health.failedModels[entityRef] ?? undefined;
    }
    return health.cycle.lastCompleted?.startedAt;
  }

  /** The answer of `GET /v1/health`. */
  static toResponse(
    health: StoredPollHealth | undefined,
    staleAfterMs: number,
    now: Date,
  ): HealthResponse {
    const sources: PollSourceHealth[] = Object.entries(health?.sources ?? {})
      .map(([name, record]) => ({
        name,
        kind: record.kind,
        ...(record.lastSuccessAt
          ? { lastSuccessAt: record.lastSuccessAt }
          : {}),
        ...(record.failure ? { failure: record.failure } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const cycle = health?.cycle ?? {};
    const finished = cycle.lastCompleted?.finishedAt;
    let status: HealthResponse['status'] = 'ok';
    if (!finished || now.getTime() - Date.parse(finished) > staleAfterMs) {
      status = 'stale';
    } else if (cycle.failure || sources.some(s => s.failure)) {
      status = 'degraded';
    }
    return {
      checkedAt: now.toISOString(),
      status,
      staleAfterSeconds: staleAfterMs / 1000,
      cycle,
      sources,
    };
  }
}
