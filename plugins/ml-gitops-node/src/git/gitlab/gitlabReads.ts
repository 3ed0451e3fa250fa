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

// The reads of one GitLab project: branch heads over REST, files and commits (cached by FileAndCommitReads), and the merged merge request of a commit with its approvers.
import { ServiceUnavailableError } from '@backstage/errors';
import type {
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
  ValidatorCache,
} from '../configRepoTypes';
import { addListedBranchHeads, ListedBranch } from '../branchListHeads';
import type { FileAndCommitSource } from '../fileAndCommitReads';
import { manifestText } from '../fileAndCommitReads';
import { answerText, discard } from '../githubTransport';
import { GitlabApi } from './gitlabApi';

/** A user as GitLab's APIs embed one (docs.gitlab.com "Users API"). */
type GitlabUserRef = { id?: number; username?: string; name?: string };

/**
 * The head commit of every branch, from `GET /projects/:id/repository/branches`
 * (docs.gitlab.com "Branches API"), every page. GitLab answers this list
 * without a 304 for an unchanged one, so `changed` compares the heads with
 * those kept in `cache` from the last call.
 */
export async function readGitlabBranchHeads(
  api: GitlabApi,
  cache: ValidatorCache,
  loc: ConfigRepoLocation,
): Promise<{ heads: Record<string, string>; changed: boolean }> {
  const key = `gitlab:branches:${loc.host}/${loc.owner}/${loc.repo}`;
  const cached = await cache.get(key);
  const branches = await api.pages<ListedBranch>(
    loc,
    'Listing branches',
    `/projects/${GitlabApi.projectId(loc)}/repository/branches`,
    {
      tooMany:
        'delete merged ml-gitops/* branches (GitLab does it on merge with "Delete source branch")',
    },
  );
  const heads: Record<string, string> = {};
  addListedBranchHeads(heads, branches, loc, 'id');
  const changed = !cached || !sameHeads(cached.heads, heads);
  if (changed) {
    // No validator: GitLab's branch list is never answered 304.
    await cache.set(key, { etag: '', heads });
  }
  return { heads, changed };
}

function sameHeads(a: Record<string, string>, b: Record<string, string>) {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k])
  );
}

/**
 * A file's raw text (`GET .../repository/files/:file_path/raw?ref=`) and a
 * commit (`GET .../repository/commits/:sha`), as docs.gitlab.com
 * "Repository files API" and "Commits API" describe them.
 */
export function gitlabFileAndCommitSource(api: GitlabApi): FileAndCommitSource {
  return {
    async readFile(loc, path, sha) {
      const what = `Reading ${path}@${sha}`;
      const answer = await api.project(
        loc,
        'GET',
        `/repository/files/${encodeURIComponent(
          path,
        )}/raw?ref=${encodeURIComponent(sha)}`,
      );
      if (answer.status === 404) {
        const text = await answerText(answer).catch(() => '');
        // "404 File Not Found" is an absent file; "404 Project Not Found"
        // is a project the token cannot see.
        if (!/project/i.test(text)) return null;
        throw api.failure(loc, what, { ...answer, data: text });
      }
      if (!answer.ok) throw await api.refusal(loc, what, answer);
      return manifestText(answer, loc, path, sha).catch(error => {
        throw api.unanswered(loc, error);
      });
    },

    async readCommit(loc, sha) {
      const what = `Reading commit ${sha}`;
      const answer = await api.project(
        loc,
        'GET',
        `/repository/commits/${encodeURIComponent(sha)}`,
      );
      if (!answer.ok) throw await api.refusal(loc, what, answer);
      const body = await api.json<{
        id?: unknown;
        message?: unknown;
        parent_ids?: unknown;
        author_name?: unknown;
        authored_date?: unknown;
        committed_date?: unknown;
      }>(loc, what, answer, 'object');
      if (
        typeof body.id !== 'string' ||
        !Array.isArray(body.parent_ids) ||
        typeof body.authored_date !== 'string' ||
        typeof body.committed_date !== 'string'
      ) {
        throw new ServiceUnavailableError(
          `${what} of ${loc.owner}/${loc.repo} on ${loc.host} got a commit without id, parent_ids or dates`,
        );
      }
      const info: CommitInfo = {
        sha: body.id,
        parents: body.parent_ids.map(String),
        message: typeof body.message === 'string' ? body.message : '',
        // GitLab's commits carry the Git author only, no account.
        author: typeof body.author_name === 'string' ? body.author_name : '',
        authorDate: new Date(body.authored_date).toISOString(),
        committedAt: new Date(body.committed_date).toISOString(),
      };
      return info;
    },
  };
}

/** A merge request as docs.gitlab.com "Merge requests API" lists it. */
type GitlabMergeRequest = {
  iid: number;
  web_url: string;
  title?: string;
  description?: string | null;
  state: string;
  source_branch?: string;
  target_branch: string;
  sha?: string | null;
  merged_at?: string | null;
  merge_user?: GitlabUserRef | null;
  merged_by?: GitlabUserRef | null;
  author?: GitlabUserRef | null;
  labels?: Array<string | { name?: string }>;
};

/** The merged merge requests' reads, with the bot flag of each author kept by user id. */
export class GitlabMergeRequestReads {
  /** `bot` of users by host and id: an account never turns into a bot. */
  private readonly bots = new Map<string, boolean>();

  constructor(private readonly api: GitlabApi) {}

  /**
   * The merged merge request of `sha` into `baseRef`: from
   * `GET .../repository/commits/:sha/merge_requests` (docs.gitlab.com
   * "Commits API": merge requests related to a commit), its approvers from
   * `GET .../merge_requests/:iid/approvals` ("Merge request approvals API")
   * and whether its author is a bot from `GET /users/:id` ("Users API").
   */
  async read(
    loc: ConfigRepoLocation,
    sha: string,
    baseRef: string,
  ): Promise<PullRequestFacts | undefined> {
    const { api } = this;
    const what = `Finding the merge request of ${sha}`;
    const answer = await api.project(
      loc,
      'GET',
      `/repository/commits/${encodeURIComponent(sha)}/merge_requests`,
    );
    if (!answer.ok) throw await api.refusal(loc, what, answer);
    const requests = await api.json<GitlabMergeRequest[]>(
      loc,
      what,
      answer,
      'array',
    );
    const mr = requests.find(
      r => r?.state === 'merged' && r.target_branch === baseRef,
    );
    if (!mr) return undefined;
    const [reviewers, authorIsBot] = await Promise.all([
      this.approvers(loc, mr.iid),
      this.isBot(loc, mr.author ?? undefined),
    ]);
    const mergedBy = mr.merge_user?.username ?? mr.merged_by?.username;
    return {
      number: mr.iid,
      url: mr.web_url,
      title: mr.title ?? '',
      labels: (mr.labels ?? [])
        .map(l => (typeof l === 'string' ? l : l?.name))
        .filter((l): l is string => typeof l === 'string'),
      ...(mr.merged_at
        ? { mergedAt: new Date(mr.merged_at).toISOString() }
        : {}),
      ...(mergedBy ? { mergedBy } : {}),
      baseRef: mr.target_branch,
      headRef: mr.source_branch ?? '',
      ...(mr.sha ? { headSha: mr.sha } : {}),
      reviewers,
      ...(mr.author?.username
        ? { author: mr.author.username, authorIsBot }
        : {}),
      ...(typeof mr.description === 'string' ? { body: mr.description } : {}),
    };
  }

  /**
   * Who approved. GitLab keeps approvals of the merge request, not of a
   * commit; a project that resets approvals on push (the setting
   * "Remove all approvals when commits are added") leaves only approvals
   * of the merged head, as GitHub's reviews of the head commit.
   */
  private async approvers(
    loc: ConfigRepoLocation,
    iid: number,
  ): Promise<string[]> {
    const what = `Reading approvals of merge request !${iid}`;
    const answer = await this.api.project(
      loc,
      'GET',
      `/merge_requests/${iid}/approvals`,
    );
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    const body = await this.api.json<{
      approved_by?: Array<{ user?: GitlabUserRef | null }>;
    }>(loc, what, answer, 'object');
    return (body.approved_by ?? [])
      .map(a => a?.user?.username)
      .filter((u): u is string => typeof u === 'string');
  }

  private async isBot(
    loc: ConfigRepoLocation,
    user: GitlabUserRef | undefined,
  ): Promise<boolean> {
    if (typeof user?.id !== 'number') return false;
    const key = `${loc.host}#${user.id}`;
    const known = this.bots.get(key);
    if (known !== undefined) return known;
    const what = `Reading user ${user.username ?? user.id}`;
    const answer = await this.api.request(loc, 'GET', `/users/${user.id}`);
    if (answer.status === 404) {
      // A deleted account (GitLab shows its merge requests as the Ghost
      // User's): no bot to name.
      discard(answer);
      this.bots.set(key, false);
      return false;
    }
    if (!answer.ok) throw await this.api.refusal(loc, what, answer);
    const body = await this.api.json<{ bot?: unknown }>(
      loc,
      what,
      answer,
      'object',
    );
    const bot = body.bot === true;
    this.bots.set(key, bot);
    return bot;
  }
}
