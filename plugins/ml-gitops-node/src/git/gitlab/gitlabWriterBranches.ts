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

// The GitLab writer's branches, commits and files: branches API, commits API with actions, repository files API.
import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { ConfigRepoLocation } from '../configRepoTypes';
import type {
  FileCommit,
  FileOnBranch,
  TreeCommit,
} from '../GithubConfigRepoWriter';
import { discard } from '../githubTransport';
import { GitlabApi } from './gitlabApi';

/** Where {@link GitlabBranchWrites.createCommit} lands a commit until a branch takes it. */
const SCRATCH_PREFIX = 'ml-gitops/commits/';

/** The branch, commit and file writes of {@link GitlabConfigRepoWriter}. */
export class GitlabBranchWrites {
  /** Scratch branches of commits made by {@link GitlabBranchWrites.createCommit}, by commit. */
  private readonly scratch = new Map<string, string>();

  constructor(private readonly api: GitlabApi) {}

  /** The head commit of a branch (`GET .../repository/branches/:branch`), or undefined. */
  async getBranchHead(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<string | undefined> {
    const found = await this.branch(loc, branch);
    return found?.commit.id;
  }

  private async branch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<{ commit: { id: string }; protected?: boolean } | undefined> {
    const what = `Reading branch ${branch}`;
    const answer = await this.api.project(
      loc,
      'GET',
      `/repository/branches/${encodeURIComponent(branch)}`,
    );
    if (await this.api.absent(answer, /branch/i)) return undefined;
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    return this.api.json(loc, what, answer, 'object');
  }

  /**
   * Creates `branch` at `sha` (`POST .../repository/branches`). An existing
   * branch is left as it is and its head returned.
   */
  async createBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<{ sha: string; created: boolean }> {
    const answer = await this.api.project(
      loc,
      'POST',
      `/repository/branches?${new URLSearchParams({ branch, ref: sha })}`,
    );
    if (answer.ok) {
      discard(answer);
      await this.dropScratch(loc, sha);
      return { sha, created: true };
    }
    const error = await this.api.refusal(
      loc,
      `Creating branch ${branch}`,
      answer,
      'write',
    );
    if (answer.status === 400 && /already exists/i.test(error.message)) {
      const existing = await this.getBranchHead(loc, branch);
      if (existing) return { sha: existing, created: false };
    }
    throw error;
  }

  /**
   * Moves one of the actions' own branches to `sha`. GitLab's REST API has
   * no force-move of a branch, so it is deleted and created again at `sha`;
   * an open merge request of it stays open and shows the new commit. A
   * protected branch is refused before anything is deleted (GitLab lets
   * Maintainers delete protected branches).
   */
  async resetBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<void> {
    const current = await this.branch(loc, branch);
    if (current?.protected) {
      throw new NotAllowedError(
        `Branch ${branch} of ${loc.owner}/${loc.repo} is protected; only the actions' own change branches are moved`,
      );
    }
    if (current?.commit.id === sha) {
      await this.dropScratch(loc, sha);
      return;
    }
    if (current) {
      const deleted = await this.api.project(
        loc,
        'DELETE',
        `/repository/branches/${encodeURIComponent(branch)}`,
      );
      if (!deleted.ok && !(await this.api.absent(deleted, /branch/i))) {
        throw await this.api.refusal(
          loc,
          `Deleting branch ${branch} to move it`,
          deleted,
          'write',
        );
      }
      discard(deleted);
    }
    const created = await this.createBranch(loc, branch, sha);
    if (!created.created && created.sha !== sha) {
      throw new ConflictError(
        `Branch ${branch} of ${loc.owner}/${
          loc.repo
        } was created at ${created.sha.slice(
          0,
          7,
        )} by someone else while it was moved; run the task again`,
      );
    }
  }

  /**
   * Makes a commit writing `files` over `parent` without moving a branch
   * the caller knows. A GitLab commit (`POST .../repository/commits`)
   * always lands on a branch: it lands on a scratch branch
   * `ml-gitops/commits/…` started at `parent` (`start_sha`), which is
   * deleted once {@link GitlabBranchWrites.createBranch} or
   * {@link GitlabBranchWrites.resetBranch} put the commit on its real
   * branch. `parentTree` is not needed: GitLab builds on the parent commit.
   */
  async createCommit(
    loc: ConfigRepoLocation,
    options: TreeCommit,
  ): Promise<string> {
    const actions = [];
    for (const [path, content] of Object.entries(options.files)) {
      const exists = await this.getFile(loc, path, options.parent);
      actions.push({
        action: exists ? 'update' : 'create',
        file_path: path,
        content: Buffer.from(content, 'utf8').toString('base64'),
        encoding: 'base64',
      });
    }
    const scratch = `${SCRATCH_PREFIX}${options.parent.slice(
      0,
      12,
    )}-${randomBytes(4).toString('hex')}`;
    const sha = await this.commit(
      loc,
      `Writing a commit on ${options.parent.slice(0, 7)}`,
      {
        branch: scratch,
        start_sha: options.parent,
        commit_message: options.message,
        actions,
        ...authorFields(options.author),
      },
    );
    this.scratch.set(`${loc.url}@${sha}`, scratch);
    return sha;
  }

  private async commit(
    loc: ConfigRepoLocation,
    what: string,
    body: Record<string, unknown>,
  ): Promise<string> {
    const answer = await this.api.project(
      loc,
      'POST',
      '/repository/commits',
      body,
    );
    if (!answer.ok) {
      const error = await this.api.refusal(loc, what, answer, 'write');
      if (/has changed since you started editing it/i.test(error.message)) {
        throw new ConflictError(
          `${error.message}. Someone changed the file meanwhile; run the task again to start from its new content`,
        );
      }
      throw error;
    }
    const commit = await this.api.json<{ id?: unknown }>(
      loc,
      what,
      answer,
      'object',
    );
    if (typeof commit.id !== 'string') {
      throw new ServiceUnavailableError(
        `${what} of ${loc.owner}/${loc.repo} on ${loc.host} got a commit without id`,
      );
    }
    return commit.id;
  }

  /** Deletes the scratch branch of a commit that a real branch now holds. */
  private async dropScratch(loc: ConfigRepoLocation, sha: string) {
    const key = `${loc.url}@${sha}`;
    const scratch = this.scratch.get(key);
    if (!scratch) return;
    const answer = await this.api.project(
      loc,
      'DELETE',
      `/repository/branches/${encodeURIComponent(scratch)}`,
    );
    if (!answer.ok && !(await this.api.absent(answer, /branch/i))) {
      throw await this.api.refusal(
        loc,
        `Deleting the scratch branch ${scratch}`,
        answer,
        'write',
      );
    }
    discard(answer);
    this.scratch.delete(key);
  }

  /**
   * A commit's parents, or undefined when there is no such commit. GitLab's
   * commits API names no tree, and {@link GitlabConfigRepoWriter.createCommit}
   * needs none: `tree` is empty.
   */
  async getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
    const what = `Reading commit ${sha}`;
    const answer = await this.api.project(
      loc,
      'GET',
      `/repository/commits/${encodeURIComponent(sha)}`,
    );
    if (await this.api.absent(answer, /commit/i)) return undefined;
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    const body = await this.api.json<{ id: string; parent_ids?: string[] }>(
      loc,
      what,
      answer,
      'object',
    );
    return { sha: body.id, parents: body.parent_ids ?? [], tree: '' };
  }

  /**
   * A file's text and blob id at a ref (`GET .../repository/files/:path`),
   * or undefined when it is absent.
   */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined> {
    const file = await this.fileAt(loc, path, ref);
    return file ? { text: file.text, blobSha: file.blobId } : undefined;
  }

  private async fileAt(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<
    { text: string; blobId: string; lastCommitId: string } | undefined
  > {
    const what = `Reading ${path}@${ref}`;
    const answer = await this.api.project(
      loc,
      'GET',
      `/repository/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(
        ref,
      )}`,
    );
    if (await this.api.absent(answer, /file|commit|ref/i)) return undefined;
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    const body = await this.api.json<{
      content?: unknown;
      encoding?: unknown;
      blob_id?: unknown;
      last_commit_id?: unknown;
    }>(loc, what, answer, 'object');
    if (
      typeof body.content !== 'string' ||
      typeof body.blob_id !== 'string' ||
      typeof body.last_commit_id !== 'string'
    ) {
      throw new ServiceUnavailableError(
        `${what} of ${loc.owner}/${loc.repo} on ${loc.host} got a file without content, blob_id or last_commit_id`,
      );
    }
    return {
      text: Buffer.from(
        body.content,
        body.encoding === 'base64' ? 'base64' : 'utf8',
      ).toString('utf8'),
      blobId: body.blob_id,
      lastCommitId: body.last_commit_id,
    };
  }

  /**
   * Commits one file to a branch, replacing the blob `blobSha` (or creating
   * the file). GitLab's lock against a lost update is the last commit that
   * changed the file (`last_commit_id` of the action), not the blob: the
   * file is read on the branch, its blob compared with `blobSha`, and its
   * `last_commit_id` sent, so GitLab refuses the commit when the file
   * changed in between.
   */
  async commitFile(
    loc: ConfigRepoLocation,
    options: FileCommit,
  ): Promise<string> {
    const what = `Committing ${options.path} to ${options.branch}`;
    let lastCommitId: string | undefined;
    if (options.blobSha) {
      const current = await this.fileAt(loc, options.path, options.branch);
      if (!current || current.blobId !== options.blobSha) {
        throw new ConflictError(
          `${what} of ${loc.owner}/${loc.repo} on ${loc.host} was refused: ${
            options.path
          } is ${
            current ? `now blob ${current.blobId.slice(0, 7)}` : 'gone'
          }, not the blob ${options.blobSha.slice(
            0,
            7,
          )} it was read as; run the task again to start from its new content`,
        );
      }
      lastCommitId = current.lastCommitId;
    }
    return this.commit(loc, what, {
      branch: options.branch,
      commit_message: options.message,
      actions: [
        {
          action: options.blobSha ? 'update' : 'create',
          file_path: options.path,
          content: Buffer.from(options.content, 'utf8').toString('base64'),
          encoding: 'base64',
          ...(lastCommitId ? { last_commit_id: lastCommitId } : {}),
        },
      ],
      ...authorFields(options.author),
    });
  }
}

/** `author_name`/`author_email` of a commit when the caller names one. */
function authorFields(author?: { name: string; email: string }) {
  return author ? { author_name: author.name, author_email: author.email } : {};
}
