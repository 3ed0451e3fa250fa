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

// The GitLab writer's project set-up: creating a project, its default branch, branch protection with approval rules, and access for code owners.
import { NotAllowedError } from '@backstage/errors';
import type { NewRepositoryOptions } from '../GitHost';
import type { ConfigRepoLocation } from '../configRepoTypes';
import type {
  AccessGrantResult,
  BranchProtection,
} from '../GithubConfigRepoWriter';
import { discard } from '../githubTransport';
import { GitlabApi } from './gitlabApi';
import { GitlabAnswer } from './gitlabTransport';

/** GitLab's access levels (docs.gitlab.com "Group and project members API"). */
const DEVELOPER = 30;
const MAINTAINER = 40;
const NO_ONE = 0;

/** A protected branch as `GET /projects/:id/protected_branches` lists it. */
type ProtectedBranch = {
  id: number;
  name: string;
  push_access_levels?: Array<{ access_level?: number }>;
  merge_access_levels?: Array<{ access_level?: number }>;
  allow_force_push?: boolean;
  code_owner_approval_required?: boolean;
};

/** Whether a protection is the one {@link GitlabProjectWrites.protectBranch} makes. */
function isProtectedAsAsked(p: ProtectedBranch, approvals: number): boolean {
  const only = (levels: ProtectedBranch['push_access_levels'], level: number) =>
    levels?.length === 1 && levels[0].access_level === level;
  return (
    only(p.push_access_levels, NO_ONE) &&
    only(p.merge_access_levels, DEVELOPER) &&
    p.allow_force_push === false &&
    (approvals === 0 || p.code_owner_approval_required === true)
  );
}

/** The project writes of {@link GitlabConfigRepoWriter}. */
export class GitlabProjectWrites {
  constructor(private readonly api: GitlabApi) {}

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
    options: NewRepositoryOptions,
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
   * An existing protection of the branch is kept when it is this one and
   * replaced otherwise, so a repeated call ends in the same settings; an
   * existing approval rule of that name is kept.
   */
  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: BranchProtection,
  ): Promise<void> {
    const what = `Protecting branch ${branch}`;
    // A protection that is already what is asked for is kept: replacing
    // it would leave the branch unprotected for a moment.
    const existing = (
      await this.api.pages<ProtectedBranch>(
        loc,
        what,
        `/projects/${GitlabApi.projectId(loc)}/protected_branches`,
      )
    ).find(p => p.name === branch);
    let protectedBranchId: number;
    let codeOwnersRefused = false;
    if (existing && isProtectedAsAsked(existing, options.approvals)) {
      protectedBranchId = existing.id;
    } else {
      if (existing) {
        const removed = await this.api.project(
          loc,
          'DELETE',
          `/protected_branches/${encodeURIComponent(branch)}`,
        );
        if (!removed.ok && removed.status !== 404) {
          throw await this.api.refusal(loc, what, removed, 'write');
        }
        discard(removed);
      }
      const protect = (codeOwners: boolean) =>
        this.api.project(loc, 'POST', '/protected_branches', {
          name: branch,
          push_access_level: NO_ONE,
          merge_access_level: DEVELOPER,
          allow_force_push: false,
          ...(codeOwners ? { code_owner_approval_required: true } : {}),
        });
      let answer = await protect(options.approvals > 0);
      if (answer.status === 403 && options.approvals > 0) {
        // Code-owner approval is a Premium feature: protect without it,
        // and say so below with the approval rule.
        discard(answer);
        codeOwnersRefused = true;
        answer = await protect(false);
      }
      if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
      protectedBranchId = (
        await this.api.json<{ id: number }>(loc, what, answer, 'object')
      ).id;
    }
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
        protectedBranchId,
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
      // "All eligible users": approvals by anyone with the Developer role.
      // A regular rule without approvers would ask for nothing, GitLab
      // counts it met at once (ee/app/models/approval_wrapped_rule.rb).
      const created = await this.api.project(loc, 'POST', '/approval_rules', {
        name,
        rule_type: 'any_approver',
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
        const user = await this.api.userByName(loc, name);
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
