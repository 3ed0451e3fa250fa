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

// The file texts and commits of a config repo, read through the REST API and kept by commit, which never changes.
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  manifestPathProblem,
  MAX_MANIFEST_BYTES,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ByteBoundedCache } from '../cache/ByteBoundedCache';
import type { CommitInfo, ConfigRepoLocation } from './configRepoTypes';
import { boundedText, type GithubAnswer } from './githubTransport';
import { GithubRestReads } from './githubRestReads';

/**
 * Memory for file texts and commits read (both never change at a commit):
 * bounded in bytes, so large manifests or long commit messages cannot grow
 * the process without limit; the least recently used go first.
 */
const MAX_CACHED_FILE_BYTES = 32 * 1024 * 1024;
const MAX_CACHED_COMMIT_BYTES = 16 * 1024 * 1024;

/**
 * How one host reads a file's text and a commit, uncached: GitHub's REST
 * API ({@link githubFileAndCommitSource}) or GitLab's.
 */
export type FileAndCommitSource = {
  /** The text of `path` at `sha`, or null when it does not exist there. */
  readFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null>;
  readCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo>;
};

/**
 * The file and commit reads of a config-repo reader, with their caches,
 * over the host's {@link FileAndCommitSource}.
 */
export class FileAndCommitReads {
  /** File texts by repo, commit and path (null: no such file). */
  private readonly files = new ByteBoundedCache<string | null>(
    MAX_CACHED_FILE_BYTES,
  );
  /** Commits by repo and SHA. */
  private readonly commits = new ByteBoundedCache<CommitInfo>(
    MAX_CACHED_COMMIT_BYTES,
  );

  private readonly source: FileAndCommitSource;

  constructor(source: GithubRestReads | FileAndCommitSource) {
    this.source =
      source instanceof GithubRestReads
        ? githubFileAndCommitSource(source)
        : source;
  }

  /** A file's text at a commit, or null when the file does not exist there. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null> {
    const problem = manifestPathProblem(path);
    if (problem) {
      // The path goes into an authenticated API URL: never one that could
      // leave the repo's contents (`..` collapses in URLs).
      throw new InputError(`${JSON.stringify(path.slice(0, 255))} ${problem}`);
    }
    const key = `${loc.host}/${loc.owner}/${loc.repo}@${sha}:${path}`;
    if (this.files.has(key)) {
      return this.files.get(key) ?? null;
    }
    const text = await this.source.readFile(loc, path, sha);
    this.files.set(key, text);
    return text;
  }

  /**
   * Keeps what a batched read found of a commit and of a file at it, so
   * that {@link FileAndCommitReads.getCommit} and
   * {@link FileAndCommitReads.getFile} answer it from memory.
   */
  remember(
    loc: ConfigRepoLocation,
    sha: string,
    facts: {
      commit?: CommitInfo;
      file?: { path: string; text: string | null };
    },
  ): void {
    const repo = `${loc.host}/${loc.owner}/${loc.repo}@${sha}`;
    if (facts.commit) this.commits.set(repo, facts.commit);
    if (facts.file && !manifestPathProblem(facts.file.path)) {
      this.files.set(`${repo}:${facts.file.path}`, facts.file.text);
    }
  }

  /** One commit (cached: commits never change). */
  async getCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo> {
    const key = `${loc.host}/${loc.owner}/${loc.repo}@${sha}`;
    const cached = this.commits.get(key);
    if (cached) {
      return cached;
    }
    const info = await this.source.readCommit(loc, sha);
    this.commits.set(key, info);
    return info;
  }
}

/** GitHub's REST reads of a file (raw contents) and a commit. */
export function githubFileAndCommitSource(
  api: GithubRestReads,
): FileAndCommitSource {
  return {
    async readFile(loc, path, sha) {
      const response = await api.request(
        loc,
        `/contents/${path
          .split('/')
          .map(encodeURIComponent)
          .join('/')}?ref=${encodeURIComponent(sha)}`,
        { headers: { Accept: 'application/vnd.github.raw+json' } },
      );
      if (response.status === 404) return null;
      if (!response.ok) {
        throw api.failure(loc, `Reading ${path}@${sha}`, response);
      }
      return manifestText(response, loc, path, sha).catch(error => {
        throw api.unanswered(loc, error);
      });
    },

    async readCommit(loc, sha) {
      const response = await api.request(
        loc,
        `/commits/${encodeURIComponent(sha)}`,
      );
      if (!response.ok) {
        throw api.failure(loc, `Reading commit ${sha}`, response);
      }
      const body = await api.json<{
        sha: string;
        parents: Array<{ sha: string }>;
        author: { login: string } | null;
        commit: {
          message: string;
          author: { name: string; date: string };
          committer: { name: string; date: string };
        };
      }>(loc, `Reading commit ${sha}`, response, 'object');
      if (
        typeof body.sha !== 'string' ||
        !Array.isArray(body.parents) ||
        typeof body.commit?.committer?.date !== 'string' ||
        typeof body.commit?.author?.date !== 'string'
      ) {
        throw new ServiceUnavailableError(
          `Reading commit ${sha} of ${loc.owner}/${loc.repo} on ${loc.host} got a commit without sha, parents or dates`,
        );
      }
      return {
        sha: body.sha,
        parents: body.parents.map(p => p.sha),
        message: body.commit.message,
        author: body.author?.login ?? body.commit.author.name,
        authorDate: new Date(body.commit.author.date).toISOString(),
        committedAt: new Date(body.commit.committer.date).toISOString(),
      };
    },
  };
}

/**
 * A manifest's text from the host's answer; one over
 * {@link MAX_MANIFEST_BYTES} is refused with an InputError that says so.
 */
export function manifestText(
  answer: GithubAnswer,
  loc: ConfigRepoLocation,
  path: string,
  sha: string,
): Promise<string> {
  return boundedText(
    answer,
    MAX_MANIFEST_BYTES,
    `${path}@${sha.slice(0, 12)} in ${loc.owner}/${loc.repo} is larger than ${
      MAX_MANIFEST_BYTES / 1024
    } KiB; a manifest must be smaller`,
    message => new InputError(message),
  );
}
