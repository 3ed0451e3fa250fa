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
import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  Deployment,
  EnvironmentFreeze,
  getMlGitopsAnnotations,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  BranchHeadsPrefetch,
  ConfigRepoHistory,
  ConfigRepoLocation,
  EnvironmentDeclaration,
  GitHostReader,
  HistoryBudget,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { forEachInTurns } from '../lib/turns';
import { historyProgressKey, MlGitopsStore } from '../database/MlGitopsStore';
import { errorMessage, Failure, SourceFailures } from './failures';
import { FreezeRequest, freezeState } from './freezeState';
import { withReadAhead } from './readAhead';
import { PollHealth } from './PollHealth';

/** Config repo URLs whose location is kept (more than a fleet has). */
const MAX_LOCATED = 50_000;

/** What one read of a model's config repo found. */
export type ConfigRepoRead = {
  loc?: ConfigRepoLocation;
  declarations: Map<string, EnvironmentDeclaration>;
  missingBranches: string[];
  moved: Set<string>;
  deployments: Deployment[];
  /** Deployments found in older history (not news). */
  backfilled: Deployment[];
  /** Environments whose older history is not read to its start yet. */
  readingOlderHistory: string[];
  failure?: Failure;
};

/**
 * Reads what a model's config repo declares: each environment branch's
 * head and history, the freeze and who wrote it, and the version at a
 * revision an operator reports; and watches the Git host's rate limits.
 */
export class ConfigRepoReader {
  /**
   * The environments whose older history was still being read, per model,
   * as last stored (`historyProgressKey`).
   */
  private readonly historyProgress = new Map<string, string>();
  /** Config repo → host, of the models polled in the running cycle. */
  private cycleRepos?: Map<string, string>;
  /** Per API and host, the window of a refusal already warned about. */
  private readonly refusalWarned = new Map<string, string>();
  /** Per API and host, the window whose low limit was warned about. */
  private readonly lowLimitWarned = new Map<string, string>();
  /**
   * The environment branches' heads of each config repo as last read, so
   * that a model re-resolved because its operator changed (a watch) reads
   * no branch head from the Git host.
   */
  private readonly lastHeads = new Map<string, Record<string, string>>();
  /**
   * Where each config repo URL points: the Git host's `locate` parses the
   * URL and checks it against the integrations, the same answer every
   * cycle for every model (a fleet's first lines of each cycle). A URL it
   * refused is asked again.
   */
  private readonly located = new Map<string, ConfigRepoLocation>();

  private locate(configRepo: string): ConfigRepoLocation {
    let loc = this.located.get(configRepo);
    if (!loc) {
      loc = this.deps.git.locate(configRepo);
      if (this.located.size >= MAX_LOCATED) this.located.clear();
      this.located.set(configRepo, loc);
    }
    return loc;
  }

  constructor(
    private readonly deps: {
      logger: LoggerService;
      store: MlGitopsStore;
      /** Where the history progress is written (the store by default). */
      cacheWrites?: { set<T>(key: string, value: T): Promise<void> };
      git: GitHostReader;
      history: ConfigRepoHistory;
      environments: string[];
      failures: SourceFailures;
      health: PollHealth;
      now: () => Date;
    },
  ) {}

  /** Starts collecting the config repos a cycle reads, for its health. */
  startCycle(): Map<string, string> {
    this.cycleRepos = new Map();
    return this.cycleRepos;
  }

  /**
   * Starts reading the environment branches' heads of every config repo of
   * `entities` in batches; a repo whose URL is not usable is left to
   * `readDeclarations`, which reports it.
   */
  async prefetchBranchHeads(entities: Entity[]): Promise<BranchHeadsPrefetch> {
    const locs: ConfigRepoLocation[] = [];
    const paths = new Map<string, Set<string>>();
    // In turns: thousands of entities' annotations and repo locations.
    await forEachInTurns(entities, entity => {
      try {
        const annotations = getMlGitopsAnnotations(entity);
        const loc = this.locate(annotations.configRepo!);
        locs.push(loc);
        const known = paths.get(loc.url) ?? new Set();
        known.add(annotations.manifestPath);
        paths.set(loc.url, known);
      } catch {
        // reported when the model is polled
      }
    });
    return withReadAhead(
      this.deps.git.prefetchBranchHeads(locs, this.deps.environments),
      locs,
      paths,
      this.deps.history,
    );
  }

  /** What is left of each Git host's watched rate limits, for the cycle's log line. */
  rateLimitsText(): string {
    return (this.deps.git.rateLimitReport?.().limits ?? [])
      .map(
        l =>
          `; ${l.api} on ${l.host}: ${l.remaining} ${l.unit} left until ${l.resetAt}`,
      )
      .join('');
  }

  /** Warns once a window when a Git host's rate limit runs low or refuses. */
  warnOfRateLimits() {
    const { git, logger } = this.deps;
    const report = git.rateLimitReport?.();
    for (const l of report?.limits ?? []) {
      const key = `${l.api} ${l.host}`;
      if (
        l.remaining < l.lowBelow &&
        this.lowLimitWarned.get(key) !== l.resetAt
      ) {
        this.lowLimitWarned.set(key, l.resetAt);
        logger.warn(
          `${l.api} on ${l.host} has ${l.remaining} ${l.unit} left until ${l.resetAt}; ${l.spending}. Lengthen mlGitops.schedule or give the integration a token with a higher limit.`,
        );
      }
    }
    for (const l of report?.refusals ?? []) {
      const key = `${l.api} ${l.host}`;
      if (this.refusalWarned.get(key) !== l.until) {
        this.refusalWarned.set(key, l.until);
        logger.warn(
          `${l.api} on ${l.host} refused ${l.refused} for its ${l.kind} rate limit (${l.message}); ${l.fallback} until ${l.until}. Lengthen mlGitops.schedule or give the integration a token with a higher limit.`,
        );
      }
    }
  }

  /**
   * The branch heads of the config repos as last read, in the shape of a
   * prefetch: a repo not read yet is left to `readDeclarations`, which
   * reads it.
   */
  knownBranchHeads(configRepo: string): BranchHeadsPrefetch {
    const known = new Map<string, Promise<Record<string, string>>>();
    try {
      const url = this.locate(configRepo).url;
      const heads = this.lastHeads.get(url);
      if (heads) known.set(url, Promise.resolve(heads));
    } catch {
      // reported by readDeclarations
    }
    return known;
  }

  async readDeclarations(
    entityRef: string,
    configRepo: string,
    manifestPath: string,
    prefetched?: BranchHeadsPrefetch,
    problems: string[] = [],
    historyBudget?: HistoryBudget,
    firstReads?: HistoryBudget,
  ): Promise<ConfigRepoRead> {
    const { git, history, logger, failures, health } = this.deps;
    const declarations = new Map<string, EnvironmentDeclaration>();
    const deployments: Deployment[] = [];
    const backfilled: Deployment[] = [];
    const readingOlderHistory: string[] = [];
    const moved = new Set<string>();
    const missingBranches: string[] = [];
    const name = `git:${configRepo}`;
    let loc: ConfigRepoLocation | undefined;
    // What was read so far: a failure keeps what came before it.
    const read = (failure?: Failure): ConfigRepoRead => ({
      loc,
      declarations,
      missingBranches,
      moved,
      deployments,
      backfilled,
      readingOlderHistory,
      ...(failure ? { failure } : {}),
    });
    try {
      if (problems.length > 0) {
        // Annotations are written by whoever edits the catalog: nothing is
        // requested for one that could reach outside the config repo.
        throw new InputError(
          `The entity's annotations are not usable: ${problems.join('; ')}`,
        );
      }
      loc = this.locate(configRepo);
      // Read for the whole fleet in a few GraphQL queries when the host
      // allows; else (and when polled alone) one conditional REST request.
      const heads =
        (await prefetched?.get(loc.url)) ??
        (await git.getBranchHeads(loc)).heads;
      this.lastHeads.set(loc.url, heads);
      for (const environment of this.deps.environments) {
        const head = heads[environment];
        if (!head) {
          missingBranches.push(environment);
          continue;
        }
        const result = await history.read({
          loc,
          manifestPath,
          environment,
          head,
          budget: historyBudget,
          firstReads,
        });
        declarations.set(environment, result.declaration);
        if (result.headMoved) {
          moved.add(environment);
        }
        deployments.push(...result.deployments);
        backfilled.push(...result.backfilled);
        if (result.declaration.unread?.length !== 0) {
          readingOlderHistory.push(environment);
        }
        if (result.backfillFailure) {
          // The older history waits for the next cycle, where it stopped;
          // what the branch declares now is read and stays right.
          logger.warn(
            `Reading the older history of ${environment} of ${entityRef} failed, to be continued next cycle: ${errorMessage(
              result.backfillFailure,
            )}`,
          );
        }
      }
      failures.recover(name);
      this.cycleRepos?.set(loc.url, loc.host);
      health.gitRead(loc.host, loc.url, undefined, this.nowIso());
      return read();
    } catch (error) {
      const failure = failures.fail(name, error);
      if (loc) {
        this.cycleRepos?.set(loc.url, loc.host);
        health.gitRead(loc.host, loc.url, failure, this.nowIso());
      }
      logger.warn(
        `Reading the config repo of ${entityRef} failed: ${failure.message}`,
      );
      return read(failure);
    }
  }

  private nowIso() {
    return this.deps.now().toISOString();
  }

  /**
   * Reads, in one query per 500, what is stored of the history progress of
   * the models not seen before: a cycle's first sight of a fleet read it
   * one model at a time. A failed read leaves it to each model's own.
   */
  async prefetchHistoryProgress(entityRefs: string[]): Promise<void> {
    const unseen = entityRefs.filter(ref => !this.historyProgress.has(ref));
    if (unseen.length === 0) return;
    const keys = unseen.map(historyProgressKey);
    const stored = await this.deps.store
      .getCacheValues<string[]>(keys)
      .catch(() => undefined);
    if (!stored) return;
    unseen.forEach((ref, i) =>
      this.historyProgress.set(
        ref,
        JSON.stringify(stored.get(keys[i]) ?? null),
      ),
    );
  }

  /**
   * Stores which environments of a model still have older history to read,
   * when that changed, for `GET /v1/history` to say so.
   */
  async recordHistoryProgress(
    entityRef: string,
    environments: string[],
  ): Promise<void> {
    const { store } = this.deps;
    const cacheKey = historyProgressKey(entityRef);
    const value = JSON.stringify(environments);
    if (!this.historyProgress.has(entityRef)) {
      const stored = await store.getCacheValue<string[]>(cacheKey);
      this.historyProgress.set(entityRef, JSON.stringify(stored ?? null));
    }
    if (this.historyProgress.get(entityRef) === value) return;
    await (this.deps.cacheWrites
      ? this.deps.cacheWrites.set(cacheKey, environments)
      : store.setCacheValue(cacheKey, environments));
    this.historyProgress.set(entityRef, value);
  }

  /** The freeze that holds now at the head of an environment's branch (see {@link freezeState}). */
  freezeState(request: FreezeRequest): Promise<EnvironmentFreeze | undefined> {
    return freezeState(this.deps, request);
  }

  /**
   * The live version: from the serving objects when the source read it,
   * else from the manifest at the revision the operator reports.
   */
  async liveVersion(
    loc: ConfigRepoLocation | undefined,
    manifestPath: string,
    observation: LiveObservation,
  ): Promise<string | null> {
    if (observation.liveVersion !== undefined) {
      return observation.liveVersion;
    }
    if (!loc || !observation.revision) {
      return null;
    }
    try {
      const { version } = await this.deps.history.versionAt(
        loc,
        manifestPath,
        observation.revision,
      );
      return version;
    } catch {
      return null;
    }
  }
}
