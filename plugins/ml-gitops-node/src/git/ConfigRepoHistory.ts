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

// The config-repo history reader: an environment branch's first-parent history turned into deployments, read in budgeted pages.
import { Deployment, ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { CommitDeployments } from './commitDeployments';
import type { CommitInfo, ConfigRepoLocation } from './configRepoTypes';
import type { CommitAndFileAt, GitHostReader } from './GitHost';
import {
  DeclarationMemory,
  DeclaringCommit,
  EnvironmentDeclaration,
  HistoryBudget,
  HistoryGap,
  MAX_REQUESTS_PER_COMMIT,
} from './historyDeclarations';

/**
 * Turns an environment branch's first-parent history into deployments: every
 * commit that changed `model_version` is one, classified as a deploy, a
 * promotion (merged from another environment's branch) or a rollback (a
 * revert). Only commits after the last one seen are read, so an unchanged
 * branch costs nothing and a moved one costs a few requests.
 *
 * The first read of a branch reads its newest `firstPage` commits (as far
 * as the first reads' budget allows, when one is given: a fleet read for
 * the first time is declared from its heads at once); the
 * older history is read afterwards, newest first, as far as a
 * {@link HistoryBudget} allows each cycle, until the first commit. The
 * place where it stopped is remembered with the declaration, so it resumes
 * there after a restart or on another replica.
 * @public
 */
export class ConfigRepoHistory {
  private readonly commits: CommitDeployments;

  constructor(
    private readonly client: GitHostReader,
    private readonly memory: DeclarationMemory,
    private readonly options: {
      environments: string[];
      /**
       * How many commits a read follows without a budget: the newest ones
       * on the first read, those since the last read otherwise. Older ones
       * wait for the budgeted backfill.
       */
      firstPage: number;
    },
  ) {
    this.commits = new CommitDeployments(client, options.environments);
  }

  private memoryKey(loc: ConfigRepoLocation, path: string, env: string) {
    return `git:declaration:${loc.host}/${loc.owner}/${loc.repo}:${path}:${env}`;
  }

  /** `model_version` at a commit; null when the manifest is absent or invalid. */
  versionAt(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<{
    version: string | null;
    manifest?: ModelManifest;
    problem?: string;
  }> {
    return this.commits.versionAt(loc, path, sha);
  }

  /**
   * Follows the first-parent chain from `gap.from` back to `gap.until`,
   * newest first: at most `limit` commits, and with a budget only while it
   * allows the next commit. Returns the deployments found (newest first),
   * the commits read, and the gap left when it stopped early. A failure
   * after the first commit ends the walk where it failed (in `failure`);
   * what was read before stays.
   */
  private async walk(
    loc: ConfigRepoLocation,
    path: string,
    environment: string,
    gap: HistoryGap,
    limit: { commits: number; budget?: HistoryBudget },
  ): Promise<{
    deployments: Deployment[];
    commits: CommitInfo[];
    left?: HistoryGap;
    failure?: unknown;
  }> {
    const deployments: Deployment[] = [];
    const commits: CommitInfo[] = [];
    let sha: string | undefined = gap.from;
    while (sha && sha !== gap.until) {
      if (
        commits.length >= limit.commits ||
        (limit.budget && !limit.budget.allows(MAX_REQUESTS_PER_COMMIT))
      ) {
        return { deployments, commits, left: { ...gap, from: sha } };
      }
      const at: string = sha;
      // The requests of this commit, counted on a copy of the location
      // that every read for it is given (not those of other work).
      const meter = { requests: 0 };
      const metered: ConfigRepoLocation = { ...loc, meter };
      limit.budget?.reserve(MAX_REQUESTS_PER_COMMIT);
      try {
        const commit = await this.client.getCommit(metered, at);
        const deployment = await this.commits.deploymentOf(
          metered,
          path,
          environment,
          commit,
        );
        commits.push(commit);
        if (deployment) deployments.push(deployment);
        sha = commit.parents[0];
      } catch (error) {
        if (!limit.budget) throw error;
        return {
          deployments,
          commits,
          left: { ...gap, from: at },
          failure: error,
        };
      } finally {
        limit.budget?.settle(MAX_REQUESTS_PER_COMMIT, meter.requests);
      }
    }
    return { deployments, commits };
  }

  /**
   * Reads ahead what {@link ConfigRepoHistory.read} will ask of branches whose head moved or
   * that were never read: the head commit and the manifest there, in the
   * host's batches (GitHub: GraphQL). Never fails; what it could not read
   * is read by {@link ConfigRepoHistory.read} one request at a time.
   */
  async readAhead(
    repos: Array<{
      loc: ConfigRepoLocation;
      manifestPath: string;
      heads: Record<string, string>;
    }>,
  ): Promise<void> {
    if (!this.client.prefetchCommitsAndFiles) return;
    const wanted: Array<CommitAndFileAt & { key: string }> = [];
    for (const { loc, manifestPath, heads } of repos) {
      for (const environment of this.options.environments) {
        const head = heads[environment];
        if (!head) continue;
        const key = this.memoryKey(loc, manifestPath, environment);
        wanted.push({ loc, sha: head, path: manifestPath, key });
      }
    }
    // The declarations of the whole batch in one read where the memory can.
    const known = this.memory.getMany
      ? await this.memory
          .getMany(wanted.map(w => w.key))
          .catch(() => new Map<string, EnvironmentDeclaration>())
      : undefined;
    const items: CommitAndFileAt[] = [];
    for (const { key, ...item } of wanted) {
      const previous = known
        ? known.get(key)
        : await this.memory.get(key).catch(() => undefined);
      if (previous?.head !== item.sha) items.push(item);
    }
    if (items.length > 0) {
      await this.client.prefetchCommitsAndFiles(items).catch(() => undefined);
    }
  }

  /**
   * Reads what the branch of `environment` declares at `head`, the
   * deployments since the last read (oldest first), and — as far as
   * `budget` allows — deployments of the older history not read yet.
   */
  async read(options: {
    loc: ConfigRepoLocation;
    manifestPath: string;
    environment: string;
    head: string;
    /** Without a budget, no older history is read. */
    budget?: HistoryBudget;
    /**
     * What the first read of a branch may spend on its newest commits;
     * without it, a first read reads `firstPage` commits. A first read
     * beyond it declares from the head commit alone and leaves the rest
     * to the older history's `budget`.
     */
    firstReads?: HistoryBudget;
  }): Promise<{
    declaration: EnvironmentDeclaration;
    deployments: Deployment[];
    /** Deployments found in the older history (newest first). */
    backfilled: Deployment[];
    /** The branch moved since the last read (false on the first read). */
    headMoved: boolean;
    /** Why reading the older history stopped this time, when it failed. */
    backfillFailure?: unknown;
  }> {
    const { loc, manifestPath: path, environment, head, budget } = options;
    const { firstReads } = options;
    const key = this.memoryKey(loc, path, environment);
    const previous = await this.memory.get(key);
    let declaration: EnvironmentDeclaration;
    let deployments: Deployment[] = [];
    if (previous && previous.head === head) {
      declaration = previous;
    } else {
      const read = await this.readNew(
        loc,
        path,
        environment,
        head,
        previous,
        previous ? undefined : firstReads,
      );
      declaration = read.declaration;
      deployments = read.deployments;
    }

    const backfilled: Deployment[] = [];
    let backfillFailure: unknown;
    // A declaration remembered before the history was read in pages has its
    // whole past read again (recorded deployments stay as they were).
    const unread = [...(declaration.unread ?? [{ from: declaration.head }])];
    let declaring = declaration.declaring;
    let guessed = declaration.declaringGuessed;
    let walkedAny = false;
    while (budget && unread.length > 0 && !backfillFailure) {
      walkedAny = true;
      const walked = await this.walk(loc, path, environment, unread[0], {
        commits: Number.POSITIVE_INFINITY,
        budget,
      });
      backfilled.push(...walked.deployments);
      backfillFailure = walked.failure;
      if (guessed && walked.deployments.length > 0) {
        // The newest deployment of the unread history set the version the
        // branch declares: nothing newer changed it.
        declaring = declaringOf(walked.deployments[0]);
        guessed = undefined;
      }
      if (walked.left) {
        unread[0] = walked.left;
        break;
      }
      unread.shift();
    }
    // Compared as text only when the history was walked: most reads walk
    // none (read to the end, or no budget), every model every cycle.
    if (
      declaration.unread === undefined ||
      (walkedAny &&
        JSON.stringify(unread) !== JSON.stringify(declaration.unread)) ||
      declaring !== declaration.declaring
    ) {
      const { declaringGuessed: _wasGuessed, ...rest } = declaration;
      declaration = {
        ...rest,
        declaring,
        unread,
        ...(guessed ? { declaringGuessed: true } : {}),
      };
    }
    if (declaration !== previous) {
      await this.memory.set(key, declaration);
    }
    return {
      declaration,
      deployments,
      backfilled,
      headMoved: previous !== undefined && previous.head !== head,
      ...(backfillFailure ? { backfillFailure } : {}),
    };
  }

  /** Reads a branch that moved (or is read for the first time). */
  private async readNew(
    loc: ConfigRepoLocation,
    path: string,
    environment: string,
    head: string,
    previous: EnvironmentDeclaration | undefined,
    budget: HistoryBudget | undefined,
  ): Promise<{
    declaration: EnvironmentDeclaration;
    deployments: Deployment[];
  }> {
    // Walk the first-parent chain from the new head back to the last head seen.
    const walked = await this.walk(
      loc,
      path,
      environment,
      { from: head, ...(previous ? { until: previous.head } : {}) },
      { commits: this.options.firstPage, budget },
    );
    // What the branch declares must be read: a failure fails the read.
    if (walked.failure) throw walked.failure;
    // Newest first: what this read left, then what earlier reads left.
    // A declaration from before the history was read in pages read at most
    // a few commits: its whole past is read again.
    const earlier = previous
      ? previous.unread ?? [{ from: previous.head }]
      : [];
    const unread = [...(walked.left ? [walked.left] : []), ...earlier];

    const atHead = await this.versionAt(loc, path, head);
    const headCommit =
      walked.commits[0] ?? (await this.client.getCommit(loc, head));
    const newest = walked.deployments[0];
    let declaring: DeclaringCommit;
    let guessed = false;
    if (newest) {
      declaring = declaringOf(newest);
    } else if (previous && previous.version === atHead.version) {
      // Nothing read since changed the version: the commit that set it
      // before still does.
      declaring = previous.declaring;
      guessed = Boolean(previous.declaringGuessed);
    } else {
      // The head commit stands in; when this read stopped short of the
      // last head seen (or of the first commit), the version-setting commit
      // is in the history it left, and the backfill puts it in place.
      declaring = {
        commit: headCommit.sha,
        author: headCommit.author,
        committedAt: headCommit.committedAt,
      };
      guessed = Boolean(walked.left);
    }
    const declaration: EnvironmentDeclaration = {
      environment,
      head,
      headCommittedAt: headCommit.committedAt,
      version: atHead.version,
      ...(atHead.manifest ? { manifest: atHead.manifest } : {}),
      ...(atHead.problem ? { manifestProblem: atHead.problem } : {}),
      declaring,
      unread,
      ...(guessed ? { declaringGuessed: true } : {}),
    };
    return { declaration, deployments: [...walked.deployments].reverse() };
  }
}

/** The declaration a deployment makes. */
function declaringOf(deployment: Deployment): DeclaringCommit {
  return {
    commit: deployment.commit,
    author: deployment.author,
    committedAt: deployment.committedAt,
    ...(deployment.pullRequest ? { pullRequest: deployment.pullRequest } : {}),
  };
}
