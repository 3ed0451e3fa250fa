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

// What one commit of an environment branch is: the `model_version` its manifest declares, and the deployment it made when it changed that version.
import {
  Deployment,
  DeploymentKind,
  deploymentKindOf,
  ModelManifest,
  parseChangeRecord,
  parseModelManifest,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
} from './configRepoTypes';
import type { GitHostReader } from './GitHost';

/** How many commits' manifests `CommitDeployments.versionAt` keeps parsed. */
const PARSED_MANIFESTS = 512;

/** How many manifest texts `CommitDeployments` keeps parsed (a few KiB each). */
const PARSED_TEXTS = 2048;

/** What a commit's manifest declares; `version` is null when it is absent or invalid. */
export type ManifestAtCommit = {
  version: string | null;
  manifest?: ModelManifest;
  problem?: string;
};

/**
 * Reads one commit of an environment branch: its manifest's version and,
 * when the commit changed it, the deployment (kind, author, reason, pull
 * request) it stands for.
 */
export class CommitDeployments {
  constructor(
    private readonly client: GitHostReader,
    private readonly environments: string[],
  ) {}

  /**
   * What recent commits' manifests declare, by repository, commit and path:
   * a walk reads each commit once as itself and once as its child's parent,
   * and the head once more, so without it a manifest was parsed (YAML and
   * schema) two or three times. A commit never changes, so neither does
   * the answer. The newest few hundred are enough for that.
   */
  private readonly parsed = new Map<string, ManifestAtCommit>();

  /**
   * The same, by the manifest's text: the branches of a model that run the
   * same version often hold the same file (in a fleet read cold, 3,037
   * manifests of 1,000 models were 1,363 texts), and a text parses the
   * same whichever commit holds it.
   */
  private readonly parsedTexts = new Map<string, ManifestAtCommit>();

  /** `model_version` at a commit; null when the manifest is absent or invalid. */
  async versionAt(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<ManifestAtCommit> {
    const key = `${loc.url}\n${sha}\n${path}`;
    const known = this.parsed.get(key);
    if (known) return known;
    const read = await this.readVersionAt(loc, path, sha);
    this.parsed.delete(key);
    this.parsed.set(key, read);
    if (this.parsed.size > PARSED_MANIFESTS) {
      this.parsed.delete(this.parsed.keys().next().value!);
    }
    return read;
  }

  private async readVersionAt(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<ManifestAtCommit> {
    const text = await this.client.getFile(loc, path, sha);
    if (text === null) {
      return {
        version: null,
        problem: `${path} does not exist at ${sha.slice(0, 7)}`,
      };
    }
    const key = `${path}\n${text}`;
    const known = this.parsedTexts.get(key);
    if (known) return known;
    const read = this.parseText(text, path, sha);
    if (read.version !== null) {
      this.parsedTexts.delete(key);
      this.parsedTexts.set(key, read);
      if (this.parsedTexts.size > PARSED_TEXTS) {
        this.parsedTexts.delete(this.parsedTexts.keys().next().value!);
      }
    }
    return read;
  }

  /** Parses a manifest; an invalid one's problem names the commit. */
  private parseText(text: string, path: string, sha: string): ManifestAtCommit {
    const parsed = parseModelManifest(text, { path });
    if (!parsed.ok) {
      const first = parsed.problems[0];
      return {
        version: null,
        problem: `${path} at ${sha.slice(0, 7)} is invalid: ${
          first.message
        } (line ${first.line})${
          parsed.problems.length > 1
            ? ` and ${parsed.problems.length - 1} more problem(s)`
            : ''
        }`,
      };
    }
    return {
      version: parsed.manifest.model_version,
      manifest: parsed.manifest,
    };
  }

  /**
   * Deploy, promotion or rollback, by the rule the rollback uses too
   * (`deploymentKindOf`), from the commit, the PR that merged it and, for a
   * merge, its merged head's message (one request, asked only when nothing
   * else decides).
   */
  private classify(
    loc: ConfigRepoLocation,
    commit: CommitInfo,
    environment: string,
    pull: PullRequestFacts | undefined,
  ): Promise<DeploymentKind> {
    const mergedHead = commit.parents[1];
    return deploymentKindOf(
      {
        message: commit.message,
        ...(pull
          ? {
              pullRequest: {
                title: pull.title,
                headRef: pull.headRef,
                labels: pull.labels,
              },
            }
          : {}),
        ...(mergedHead
          ? {
              mergedHeadMessage: async () =>
                (await this.client.getCommit(loc, mergedHead)).message,
            }
          : {}),
      },
      { environments: this.environments, environment },
    );
  }

  /**
   * Who made a deployment: the person who opened its PR. A PR that an app
   * opened for someone (the actions run as a GitHub App) names that person
   * as the author of its head commit; without a PR, the commit's author.
   */
  private async authorOf(
    loc: ConfigRepoLocation,
    commit: CommitInfo,
    pull: PullRequestFacts | undefined,
  ): Promise<string> {
    if (!pull?.author) return commit.author;
    if (!pull.authorIsBot) return pull.author;
    if (pull.headSha) {
      try {
        return (await this.client.getCommit(loc, pull.headSha)).author;
      } catch {
        // The head commit is gone (e.g. a deleted fork); the record may say.
      }
    }
    return parseChangeRecord(pull.body)?.requestedBy ?? pull.author;
  }

  /**
   * The deployment a commit of the branch is, or undefined when it did not
   * change `model_version`.
   */
  async deploymentOf(
    loc: ConfigRepoLocation,
    path: string,
    environment: string,
    commit: CommitInfo,
  ): Promise<Deployment | undefined> {
    const parent = commit.parents[0];
    const [now, before] = await Promise.all([
      this.versionAt(loc, path, commit.sha),
      parent
        ? this.versionAt(loc, path, parent)
        : Promise.resolve({ version: null }),
    ]);
    if (!now.version || now.version === before.version) {
      return undefined;
    }
    const pull = await this.client.getMergedPullRequest(
      loc,
      commit.sha,
      environment,
    );
    const pullRequest: PullRequestInfo | undefined = pull && {
      number: pull.number,
      url: pull.url,
      ...(pull.mergedBy ? { mergedBy: pull.mergedBy } : {}),
      reviewers: pull.reviewers,
    };
    const kind = await this.classify(loc, commit, environment, pull);
    const author = await this.authorOf(loc, commit, pull);
    const record = parseChangeRecord(pull?.body);
    const reason =
      record && record.environment === environment ? record.reason : undefined;
    return {
      environment,
      version: now.version,
      ...(before.version ? { previousVersion: before.version } : {}),
      commit: commit.sha,
      author,
      committedAt: pull?.mergedAt ?? commit.committedAt,
      kind,
      ...(reason ? { reason } : {}),
      ...(pullRequest ? { pullRequest } : {}),
    };
  }
}
