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

// The GitLab config-repo writer: GitHostWriter's branches, commits, merge requests and project set-up on GitLab's REST API v4.
import { randomBytes } from 'node:crypto';
import {
  DefaultGitlabCredentialsProvider,
  GitlabCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  ConflictError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { GitHostWriter } from '../GitHost';
import type { ConfigRepoLocation } from '../configRepoTypes';
import type {
  AccessGrantResult,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
} from '../GithubConfigRepoWriter';
import { answerText, discard, type FetchFn } from '../githubTransport';
import type { RateLimitRetryOptions } from '../rateLimits';
import { GitlabAnswer, GitlabApi, GitlabTransport } from './gitlabTransport';

/** The default of how long one request to GitLab may take. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** Where {@link GitlabConfigRepoWriter.createCommit} lands a commit until a branch takes it. */
const SCRATCH_PREFIX = 'ml-gitops/commits/';
/** GitLab's access levels (docs.gitlab.com "Group and project members API"). */
const DEVELOPER = 30;
const MAINTAINER = 40;
const NO_ONE = 0;

type MergeRequest = {
  iid: number;
  web_url: string;
  source_branch: string;
  target_branch: string;
  source_project_id?: number;
  target_project_id?: number;
  reviewers?: Array<{ id: number; username: string }>;
};

/**
 * Makes the changes the scaffolder actions propose to a config repo on
 * GitLab, through Backstage's `integrations.gitlab` credentials (a token
 * with the scope `api`, Developer on the project; Maintainer for its
 * settings and protection). Every method is safe to repeat, as
 * {@link GitHostWriter} says. Where GitHub's model does not fit GitLab,
 * the method says what GitLab does instead.
 * @public
 */
export class GitlabConfigRepoWriter implements GitHostWriter {
  /** A writer with the credentials of `integrations.gitlab`. */
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    credentialsProvider?: GitlabCredentialsProvider;
    fetch?: FetchFn;
    /** How long one request may take (default 30 s). */
    timeoutMs?: number;
    /**
     * How a rate-limited request (429) is retried: by default a limit that
     * lifts within a minute is waited for, three times at most.
     */
    rateLimitRetry?: RateLimitRetryOptions;
  }): GitlabConfigRepoWriter {
    const credentials =
      options.credentialsProvider ??
      DefaultGitlabCredentialsProvider.fromIntegrations(options.integrations);
    return new GitlabConfigRepoWriter(
      credentials,
      new GitlabApi(
        credentials,
        new GitlabTransport({
          fetch: options.fetch,
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          rateLimitRetry: {
            maxWaitMs: 60_000,
            maxRetries: 3,
            ...options.rateLimitRetry,
          },
        }),
      ),
    );
  }

  /** GitLab takes a token over HTTPS as the password of the user `oauth2`. */
  readonly gitTokenUser = 'oauth2';

  /** Scratch branches of commits made by {@link GitlabConfigRepoWriter.createCommit}, by commit. */
  private readonly scratch = new Map<string, string>();

  private constructor(
    private readonly credentials: GitlabCredentialsProvider,
    private readonly api: GitlabApi,
  ) {}

  /**
   * The integration's token, for `git` over HTTPS
   * (the project URL with `.git`, user {@link GitlabConfigRepoWriter.gitTokenUser}).
   * Never log it or put it in an action's output.
   */
  async getToken(loc: ConfigRepoLocation): Promise<string | undefined> {
    const { token } = await this.credentials.getCredentials({ url: loc.url });
    return token;
  }

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
    if (await this.absent(answer, /branch/i)) return undefined;
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    return this.api.json(loc, what, answer, 'object');
  }

  /**
   * Whether a 404 means the thing asked for is absent (GitLab's message
   * names it: "404 Branch Not Found"), not the project. Reads the body of
   * a 404 and keeps its text for the refusal.
   */
  private async absent(answer: GitlabAnswer, thing: RegExp): Promise<boolean> {
    if (answer.status !== 404) return false;
    const text = await answerText(answer).catch(() => '');
    answer.data = text;
    return !/project/i.test(text) && (thing.test(text) || !text);
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
      if (!deleted.ok && !(await this.absent(deleted, /branch/i))) {
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
   * deleted once {@link GitlabConfigRepoWriter.createBranch} or
   * {@link GitlabConfigRepoWriter.resetBranch} put the commit on its real
   * branch. `parentTree` is not needed: GitLab builds on the parent commit.
   */
  async createCommit(
    loc: ConfigRepoLocation,
    options: {
      parent: string;
      parentTree: string;
      files: Record<string, string>;
      message: string;
      author?: { name: string; email: string };
    },
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
    if (!answer.ok && !(await this.absent(answer, /branch/i))) {
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
    if (await this.absent(answer, /commit/i)) return undefined;
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
    if (await this.absent(answer, /file|commit|ref/i)) return undefined;
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
    options: {
      branch: string;
      path: string;
      content: string;
      blobSha?: string;
      message: string;
      author?: { name: string; email: string };
    },
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

  /** The open merge request from `head` into `base`, if there is one. */
  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    const query = new URLSearchParams({
      state: 'opened',
      source_branch: head,
      target_branch: base,
    });
    const list = await this.api.pages<MergeRequest>(
      loc,
      `Listing merge requests from ${head} into ${base}`,
      `/projects/${GitlabApi.projectId(loc)}/merge_requests?${query}`,
      1,
    );
    const mr = list.find(
      m => m.source_branch === head && m.target_branch === base && ownBranch(m),
    );
    return mr ? { number: mr.iid, url: mr.web_url } : undefined;
  }

  /**
   * Opens a merge request from `head` into `base` (deleting `head` when
   * merged); when one is already open for the same branches it is returned
   * (`created: false`) instead: GitLab answers 409 for a second one.
   */
  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    const existing = await this.findOpenPullRequest(
      loc,
      options.head,
      options.base,
    );
    if (existing) return { ...existing, created: false };
    const what = `Opening a merge request from ${options.head} into ${options.base}`;
    const answer = await this.api.project(loc, 'POST', '/merge_requests', {
      source_branch: options.head,
      target_branch: options.base,
      title: options.title,
      description: options.body,
      remove_source_branch: true,
    });
    if (answer.status === 409) {
      discard(answer);
      const raced = await this.findOpenPullRequest(
        loc,
        options.head,
        options.base,
      );
      if (raced) return { ...raced, created: false };
    }
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    const mr = await this.api.json<MergeRequest>(loc, what, answer, 'object');
    return { number: mr.iid, url: mr.web_url, created: true };
  }

  private async updateMergeRequest(
    loc: ConfigRepoLocation,
    iid: number,
    what: string,
    body: Record<string, unknown>,
  ): Promise<MergeRequest> {
    const answer = await this.api.project(
      loc,
      'PUT',
      `/merge_requests/${iid}`,
      body,
    );
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    return this.api.json<MergeRequest>(loc, what, answer, 'object');
  }

  /** Rewrites the title and description of an open merge request. */
  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Updating merge request !${pullNumber}`,
      { title: options.title, description: options.body },
    );
  }

  /** The open merge requests into `base` from this project's branches, newest first. */
  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    const query = new URLSearchParams({
      state: 'opened',
      target_branch: base,
      order_by: 'created_at',
      sort: 'desc',
    });
    const list = await this.api.pages<MergeRequest>(
      loc,
      `Listing the open merge requests into ${base}`,
      `/projects/${GitlabApi.projectId(loc)}/merge_requests?${query}`,
      10,
    );
    return list
      .filter(m => m.target_branch === base && ownBranch(m))
      .map(m => ({ number: m.iid, url: m.web_url, head: m.source_branch }));
  }

  /** Comments on a merge request (a note), then closes it without merging. */
  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    const noted = await this.api.project(
      loc,
      'POST',
      `/merge_requests/${pullNumber}/notes`,
      { body: comment },
    );
    if (!noted.ok) {
      throw await this.api.refusal(
        loc,
        `Commenting on merge request !${pullNumber}`,
        noted,
        'write',
      );
    }
    discard(noted);
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Closing merge request !${pullNumber}`,
      { state_event: 'close' },
    );
  }

  /** Adds labels (`add_labels`; GitLab creates labels the project lacks). */
  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Labelling merge request !${pullNumber}`,
      { add_labels: labels.join(',') },
    );
  }

  /**
   * Adds reviewers to a merge request (`reviewer_ids`, keeping those it
   * has). `reviewers` are usernames (`@` optional); GitLab takes users
   * only, so a group (`group/sub`) is refused, as is a username GitLab
   * does not know, or a user it did not add (no access to the project).
   */
  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult> {
    const result: ReviewRequestResult = { requested: [], refused: [] };
    const wanted = new Map<number, string>();
    for (const reviewer of reviewers) {
      const username = reviewer.replace(/^@/, '');
      if (username.includes('/') || username.startsWith('team:')) {
        result.refused.push({
          reviewer,
          reason: `GitLab takes users as reviewers, not groups; name the members of ${username}`,
        });
        continue;
      }
      const user = await this.userByName(loc, username);
      if (!user) {
        result.refused.push({
          reviewer,
          reason: `GitLab ${loc.host} has no user ${username}`,
        });
        continue;
      }
      wanted.set(user.id, reviewer);
    }
    if (wanted.size === 0) return result;
    const what = `Requesting reviewers on merge request !${pullNumber}`;
    const current = await this.api.project(
      loc,
      'GET',
      `/merge_requests/${pullNumber}`,
    );
    if (!current.ok) throw await this.api.refusal(loc, what, current);
    const mr = await this.api.json<MergeRequest>(loc, what, current, 'object');
    const ids = new Set([
      ...(mr.reviewers ?? []).map(r => r.id),
      ...wanted.keys(),
    ]);
    const updated = await this.updateMergeRequest(loc, pullNumber, what, {
      reviewer_ids: [...ids],
    });
    const added = new Set((updated.reviewers ?? []).map(r => r.id));
    for (const [id, reviewer] of wanted) {
      if (added.has(id)) {
        result.requested.push(reviewer);
      } else {
        result.refused.push({
          reviewer,
          reason: `GitLab did not add ${reviewer} as a reviewer; give ${reviewer} access to ${loc.owner}/${loc.repo}`,
        });
      }
    }
    return result;
  }

  /** A user by username (`GET /users?username=`), or undefined. */
  private async userByName(
    loc: ConfigRepoLocation,
    username: string,
  ): Promise<{ id: number; username: string } | undefined> {
    const what = `Looking up user ${username}`;
    const answer = await this.api.request(
      loc,
      'GET',
      `/users?${new URLSearchParams({ username })}`,
    );
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    const users = await this.api.json<Array<{ id: number; username: string }>>(
      loc,
      what,
      answer,
      'array',
    );
    return users.find(u => u.username.toLowerCase() === username.toLowerCase());
  }

  /** Whether the project exists (and the token can see it). */
  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    const answer = await this.api.project(loc, 'GET', '');
    if (answer.status === 404) {
      discard(answer);
      return false;
    }
    if (!answer.ok) {
      throw await this.api.refusal(loc, 'Reading the project', answer);
    }
    discard(answer);
    return true;
  }

  /**
   * Creates the project `loc.repo` in the group (or user namespace)
   * `loc.owner` (`GET /namespaces/:id`, then `POST /projects`), empty, so
   * the first push decides its branches.
   */
  async createRepository(
    loc: ConfigRepoLocation,
    options: {
      description?: string;
      visibility: 'private' | 'internal' | 'public';
    },
  ): Promise<{ url: string; created: boolean }> {
    if (await this.repositoryExists(loc)) {
      return { url: loc.url, created: false };
    }
    const what = `Reading the namespace ${loc.owner}`;
    const ns = await this.api.request(
      loc,
      'GET',
      `/namespaces/${encodeURIComponent(loc.owner)}`,
    );
    if (!ns.ok) throw await this.api.refusal(loc, what, ns);
    const namespace = await this.api.json<{ id: number }>(
      loc,
      what,
      ns,
      'object',
    );
    const creating = 'Creating the project';
    const answer = await this.api.request(loc, 'POST', '/projects', {
      name: loc.repo,
      path: loc.repo,
      namespace_id: namespace.id,
      visibility: options.visibility,
      ...(options.description ? { description: options.description } : {}),
      initialize_with_readme: false,
      remove_source_branch_after_merge: true,
    });
    if (!answer.ok) {
      throw await this.api.refusal(loc, creating, answer, 'write');
    }
    const project = await this.api.json<{ web_url: string }>(
      loc,
      creating,
      answer,
      'object',
    );
    return { url: project.web_url, created: true };
  }

  /** Sets the project's default branch. */
  async setDefaultBranch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<void> {
    await this.editProject(loc, `Setting the default branch to ${branch}`, {
      default_branch: branch,
    });
  }

  private async editProject(
    loc: ConfigRepoLocation,
    what: string,
    body: Record<string, unknown>,
  ) {
    const answer = await this.api.project(loc, 'PUT', '', body);
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    discard(answer);
  }

  /**
   * Protects a branch the GitLab way (docs.gitlab.com "Protected branches
   * API", "Merge request approvals API"):
   * - a protected branch no one pushes to, Developers merge into, no one
   *   force-pushes (and only Maintainers may delete), with code owners'
   *   approval when `approvals` is more than zero;
   * - an approval rule `ml-gitops: <branch>` requiring `approvals`
   *   approvals on merge requests into it (GitLab Premium; on a tier
   *   without approval rules this fails, saying so, after the branch
   *   protection is in place);
   * - checks: the project's "Pipelines must succeed"
   *   (`only_allow_merge_if_pipeline_succeeds`), since GitLab has no
   *   required status check by name; the pipeline that runs
   *   `ml-gitops validate` fails when the check fails. It is a project
   *   setting: it holds for merge requests into every branch.
   * An existing protection of the branch is replaced, so a repeated call
   * ends in the same settings.
   */
  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: {
      checks: Array<{ context: string; appId?: number }>;
      approvals: number;
    },
  ): Promise<void> {
    const what = `Protecting branch ${branch}`;
    const removed = await this.api.project(
      loc,
      'DELETE',
      `/protected_branches/${encodeURIComponent(branch)}`,
    );
    if (!removed.ok && removed.status !== 404) {
      throw await this.api.refusal(loc, what, removed, 'write');
    }
    discard(removed);
    const protect = (codeOwners: boolean) =>
      this.api.project(loc, 'POST', '/protected_branches', {
        name: branch,
        push_access_level: NO_ONE,
        merge_access_level: DEVELOPER,
        allow_force_push: false,
        ...(codeOwners ? { code_owner_approval_required: true } : {}),
      });
    let answer = await protect(options.approvals > 0);
    let codeOwnersRefused = false;
    if (answer.status === 403 && options.approvals > 0) {
      // Code-owner approval is a Premium feature: protect without it, and
      // say so below with the approval rule.
      discard(answer);
      codeOwnersRefused = true;
      answer = await protect(false);
    }
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    const protectedBranch = await this.api.json<{ id: number }>(
      loc,
      what,
      answer,
      'object',
    );
    if (options.checks.length > 0) {
      await this.editProject(
        loc,
        `Requiring pipelines to succeed before merges (for ${options.checks
          .map(c => c.context)
          .join(', ')})`,
        { only_allow_merge_if_pipeline_succeeds: true },
      );
    }
    if (options.approvals > 0) {
      await this.requireApprovals(
        loc,
        branch,
        protectedBranch.id,
        options.approvals,
        codeOwnersRefused,
      );
    }
  }

  private async requireApprovals(
    loc: ConfigRepoLocation,
    branch: string,
    protectedBranchId: number,
    approvals: number,
    codeOwnersRefused: boolean,
  ) {
    const name = `ml-gitops: ${branch}`;
    const what = `Requiring ${approvals} approval(s) on ${branch}`;
    const tier = () =>
      new NotAllowedError(
        `${what} of ${loc.owner}/${loc.repo} on ${
          loc.host
        } was refused: ${branch} is protected (no pushes, merges by Developers, no force pushes), but approval rules${
          codeOwnersRefused ? ' and code-owner approval' : ''
        } need GitLab Premium or Ultimate; upgrade the project's tier, or require approvals by review practice`,
      );
    const list = await this.api.project(loc, 'GET', '/approval_rules');
    if (list.status === 403 || list.status === 404) {
      discard(list);
      throw tier();
    }
    if (!list.ok) throw await this.api.refusal(loc, what, list, 'write');
    const rules = await this.api.json<Array<{ name: string }>>(
      loc,
      what,
      list,
      'array',
    );
    if (!rules.some(r => r.name === name)) {
      const created = await this.api.project(loc, 'POST', '/approval_rules', {
        name,
        approvals_required: approvals,
        protected_branch_ids: [protectedBranchId],
      });
      if (created.status === 403) {
        discard(created);
        throw tier();
      }
      if (!created.ok) {
        throw await this.api.refusal(loc, what, created, 'write');
      }
      discard(created);
    }
    if (codeOwnersRefused) throw tier();
  }

  /**
   * Gives code owners access: an `@user` becomes a member
   * (`POST /projects/:id/members`), an `@group/sub` gets the project shared
   * with it (`POST /projects/:id/share`), as Developer (`push`) or
   * Maintainer (`maintain`). Who is a member already counts as granted; an
   * e-mail owner, an unknown user or group is returned as skipped.
   */
  async grantAccess(
    loc: ConfigRepoLocation,
    owners: string[],
    permission: 'push' | 'maintain' = 'push',
  ): Promise<AccessGrantResult> {
    const level = permission === 'maintain' ? MAINTAINER : DEVELOPER;
    const result: AccessGrantResult = { granted: [], skipped: [] };
    for (const owner of owners) {
      const name = /^@(\S+)$/.exec(owner)?.[1];
      if (!name) {
        result.skipped.push({
          owner,
          reason:
            'an e-mail address cannot be given access; name the GitLab user as @username',
        });
        continue;
      }
      const what = `Giving ${owner} ${permission} access`;
      let answer: GitlabAnswer;
      // `@acme/ml` is a group; `@acme` a group when GitLab has one of that path.
      const group = await this.group(loc, name);
      if (!group && name.includes('/')) {
        result.skipped.push({
          owner,
          reason: `GitLab ${loc.host} has no group ${name}`,
        });
        continue;
      }
      if (group) {
        answer = await this.api.project(loc, 'POST', '/share', {
          group_id: group.id,
          group_access: level,
        });
      } else {
        if (name.toLowerCase() === loc.owner.toLowerCase()) continue;
        const user = await this.userByName(loc, name);
        if (!user) {
          result.skipped.push({
            owner,
            reason: `GitLab ${loc.host} has no user ${name}`,
          });
          continue;
        }
        answer = await this.api.project(loc, 'POST', '/members', {
          user_id: user.id,
          access_level: level,
        });
      }
      // 409: a member already; a share answers 409 too (or 400 "has already been taken").
      const error =
        answer.ok || answer.status === 409
          ? undefined
          : await this.api.refusal(loc, what, answer, 'write');
      discard(answer);
      if (error && !/already been taken|already exists/i.test(error.message)) {
        if (answer.status === 400 || answer.status === 404) {
          result.skipped.push({ owner, reason: error.message });
          continue;
        }
        throw error;
      }
      result.granted.push({ owner, permission });
    }
    return result;
  }

  private async group(
    loc: ConfigRepoLocation,
    fullPath: string,
  ): Promise<{ id: number } | undefined> {
    const what = `Reading group ${fullPath}`;
    const answer = await this.api.request(
      loc,
      'GET',
      `/groups/${encodeURIComponent(fullPath)}`,
    );
    if (answer.status === 404) {
      discard(answer);
      return undefined;
    }
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    return this.api.json<{ id: number }>(loc, what, answer, 'object');
  }
}

/** `author_name`/`author_email` of a commit when the caller names one. */
function authorFields(author?: { name: string; email: string }) {
  return author ? { author_name: author.name, author_email: author.email } : {};
}

/** Only merge requests from this project's branches: a fork's is someone else's change. */
function ownBranch(mr: MergeRequest): boolean {
  return (
    mr.source_project_id === undefined ||
    mr.target_project_id === undefined ||
    mr.source_project_id === mr.target_project_id
  );
}
