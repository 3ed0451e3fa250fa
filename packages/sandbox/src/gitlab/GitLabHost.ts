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

/*
 * GitLab's behaviour over real bare repositories: who may push and merge,
 * approvals, mergeability and merging, pipelines and commit statuses. The
 * REST and GraphQL routes (GitLabApi.ts), the admin controls and the seed
 * all act through it, so a rule holds whoever asks. Each rule names the
 * GitLab documentation it follows.
 */

import { GitRepos, RepoRecord, Signature, ZERO_SHA } from '../githost/GitRepos';
import { CODEOWNERS_PATHS, matchedEntries } from './codeowners';
import {
  ACCESS,
  branchPatternMatches,
  fullPath,
  GITLAB_PRE_RECEIVE_HOOK,
  GlApprovalRule,
  GlGroup,
  GlJob,
  GlMergeRequest,
  GlPipeline,
  GlPipelineStatus,
  GlProject,
  GlProtectedBranch,
  GlUser,
  protectionOf,
  seedUsers,
} from './model';

/** An answer GitLab gives instead of the resource: its status and JSON body. */
export class GitLabError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(
      typeof body.message === 'string'
        ? body.message
        : JSON.stringify(body.message ?? body.error ?? body),
    );
  }

  /** `{"message": …}`, GitLab's usual error body (docs.gitlab.com/api/rest/troubleshooting) */
  static message(status: number, message: unknown) {
    return new GitLabError(status, { message });
  }
}

/** GitLab's helpers' answers (lib/api/helpers.rb: not_found!, forbidden!, …). */
export const errors = {
  notFound: (what: string) => GitLabError.message(404, `404 ${what} Not Found`),
  forbidden: (reason?: string) =>
    GitLabError.message(
      403,
      reason ? `403 Forbidden - ${reason}` : '403 Forbidden',
    ),
  unauthorized: () => GitLabError.message(401, '401 Unauthorized'),
  notAllowed: () => GitLabError.message(405, '405 Method Not Allowed'),
  badRequest: (message: string) => GitLabError.message(400, message),
  missing: (param: string) =>
    new GitLabError(400, { error: `${param} is missing` }),
};

export type MergeRequestEvent = {
  project: GlProject;
  mr: GlMergeRequest;
  action: 'open' | 'update' | 'reopen';
};

export type CommitAction = {
  action: 'create' | 'update' | 'delete';
  file_path: string;
  content?: string;
  encoding?: 'text' | 'base64';
  last_commit_id?: string;
};

export type ApprovalState = {
  approved: boolean;
  approvals_required: number;
  approvals_left: number;
  approved_by: number[];
  rules: Array<{
    name: string;
    rule_type: 'regular' | 'any_approver' | 'code_owner';
    approvals_required: number;
    eligible: number[];
    approved_by: number[];
    approved: boolean;
  }>;
};

const PIPELINE_DONE: GlPipelineStatus[] = [
  'success',
  'failed',
  'canceled',
  'skipped',
];

export function nowIso() {
  return new Date().toISOString();
}

export class GitLabHost {
  readonly users: GlUser[] = seedUsers();
  readonly groups: GlGroup[] = [];
  readonly projects: GlProject[] = [];
  /**
   * GitLab Premium or Free: approval rules and code owner approval exist on
   * Premium only (docs.gitlab.com/user/project/merge_requests/approvals).
   */
  tier: 'premium' | 'free' = 'premium';
  /**
   * GraphQL's `Repository.commit(ref:)` (GitLab 17.10 and later); false
   * answers as an older GitLab does.
   */
  graphqlCommitField = true;
  private nextId = 3000;
  private mrListeners: Array<(e: MergeRequestEvent) => void> = [];

  constructor(readonly repos: GitRepos, readonly baseUrl: () => string) {
    repos.onPush(e => {
      this.onPush(e.repo, e.ref, e.after).catch(() => {});
    });
  }

  /** The repositories of a GitLab instance: GitLab's pre-receive refusals. */
  static repositories(root: string) {
    return new GitRepos(root, { preReceiveHook: GITLAB_PRE_RECEIVE_HOOK });
  }

  id() {
    return ++this.nextId;
  }

  onMergeRequest(listener: (e: MergeRequestEvent) => void) {
    this.mrListeners.push(listener);
  }

  private emit(e: MergeRequestEvent) {
    for (const l of this.mrListeners) {
      try {
        l(e);
      } catch {
        // listeners log their own failures
      }
    }
  }

  // ---- users, groups, projects -------------------------------------------

  userByToken(token: string | undefined) {
    return token ? this.users.find(u => u.token === token) : undefined;
  }

  user(id: number) {
    return this.users.find(u => u.id === id);
  }

  userByName(username: string) {
    return this.users.find(
      u => u.username.toLowerCase() === username.toLowerCase(),
    );
  }

  createGroup(path: string, parent?: GlGroup, description = ''): GlGroup {
    const group: GlGroup = {
      id: this.id(),
      name: path,
      path,
      full_path: parent ? `${parent.full_path}/${path}` : path,
      parent_id: parent?.id ?? null,
      description,
      members: new Map(),
    };
    this.groups.push(group);
    return group;
  }

  /** A group by numeric id or full path (URL-decoded). */
  group(idOrPath: string | number) {
    const key = String(idOrPath);
    return /^\d+$/.test(key)
      ? this.groups.find(g => g.id === Number(key))
      : this.groups.find(g => g.full_path.toLowerCase() === key.toLowerCase());
  }

  /** A group and its ancestors, nearest first. */
  private lineage(group: GlGroup): GlGroup[] {
    const out: GlGroup[] = [];
    for (let g: GlGroup | undefined = group; g; ) {
      out.push(g);
      g = g.parent_id ? this.group(g.parent_id) : undefined;
    }
    return out;
  }

  /** A user's access to a group: direct or inherited from an ancestor. */
  groupAccess(group: GlGroup, userId: number): number {
    return Math.max(
      0,
      ...this.lineage(group).map(g => g.members.get(userId) ?? 0),
    );
  }

  /** Direct members of a group (what a `@group` code owner means). */
  groupMembers(group: GlGroup): number[] {
    return [...group.members.entries()]
      .filter(([, level]) => level >= ACCESS.developer)
      .map(([id]) => id);
  }

  async createProject(
    namespace: GlGroup,
    path: string,
    opts: {
      name?: string;
      description?: string | null;
      visibility?: GlProject['visibility'];
      defaultBranch?: string;
      createdAt?: string;
    } = {},
  ): Promise<GlProject> {
    const repo = await this.repos.create(namespace.full_path, path, {
      description: opts.description ?? undefined,
      defaultBranch: opts.defaultBranch ?? 'main',
      createdAt: opts.createdAt,
    });
    const created = opts.createdAt ?? nowIso();
    const project: GlProject = {
      id: this.id(),
      name: opts.name ?? path,
      path,
      namespace,
      description: opts.description ?? null,
      visibility: opts.visibility ?? 'private',
      created_at: created,
      repo,
      only_allow_merge_if_pipeline_succeeds: false,
      reset_approvals_on_push: true,
      merge_requests_author_approval: false,
      members: new Map(),
      shared_with: new Map(),
      protected_branches: [],
      approval_rules: [],
      merge_requests: [],
      pipelines: [],
      last_activity_at: created,
    };
    this.projects.push(project);
    await this.syncProtection(project);
    return project;
  }

  /** A project by numeric id or URL-decoded full path. */
  project(idOrPath: string | number) {
    const key = String(idOrPath);
    return /^\d+$/.test(key)
      ? this.projects.find(p => p.id === Number(key))
      : this.projects.find(
          p => fullPath(p).toLowerCase() === key.toLowerCase(),
        );
  }

  projectOfRepo(repo: RepoRecord) {
    return this.projects.find(p => p.repo === repo);
  }

  /**
   * A user's access level to a project: the highest of its direct
   * membership, its namespace's memberships (inherited down the group
   * hierarchy) and the groups the project is shared with, capped at the
   * share's access (docs.gitlab.com/user/project/members/sharing_projects_groups).
   */
  access(project: GlProject, userId: number): number {
    const shared = [...project.shared_with.entries()].map(([gid, cap]) => {
      const g = this.group(gid);
      return g ? Math.min(cap, this.groupAccess(g, userId)) : 0;
    });
    return Math.max(
      project.members.get(userId) ?? 0,
      this.groupAccess(project.namespace, userId),
      ...shared,
    );
  }

  canRead(project: GlProject, user: GlUser | undefined) {
    if (project.visibility === 'public') return true;
    if (!user) return false;
    return (
      project.visibility === 'internal' ||
      this.access(project, user.id) >= ACCESS.guest
    );
  }

  /**
   * Pushing: developers may push to unprotected branches; a protected
   * branch allows the roles at or above its push_access_level, no one at 0
   * (docs.gitlab.com/user/project/repository/branches/protected).
   */
  canPush(project: GlProject, user: GlUser, branch: string) {
    const level = this.access(project, user.id);
    const p = protectionOf(project, branch);
    if (!p) return level >= ACCESS.developer;
    return p.push_access_level > 0 && level >= p.push_access_level;
  }

  /** Merging into a branch: its merge_access_level, as canPush. */
  canMerge(project: GlProject, user: GlUser, branch: string) {
    const level = this.access(project, user.id);
    const p = protectionOf(project, branch);
    if (!p) return level >= ACCESS.developer;
    return p.merge_access_level > 0 && level >= p.merge_access_level;
  }

  /** Writes who may push where the pre-receive hook reads it. */
  async syncProtection(project: GlProject) {
    const lines = project.protected_branches.map(p => {
      const pushers =
        p.push_access_level > 0
          ? this.users
              .filter(u => this.access(project, u.id) >= p.push_access_level)
              .map(u => u.username)
          : [];
      return `${p.name}\t${p.allow_force_push ? 1 : 0}\t${pushers.join(' ')}\n`;
    });
    await this.repos.writeProtectionLines(project.repo, lines.join(''));
  }

  async syncAllProtection() {
    await Promise.all(this.projects.map(p => this.syncProtection(p)));
  }

  async protectBranch(
    project: GlProject,
    input: Omit<GlProtectedBranch, 'id'>,
  ): Promise<GlProtectedBranch> {
    if (project.protected_branches.some(p => p.name === input.name)) {
      throw GitLabError.message(
        409,
        `Protected branch '${input.name}' already exists`,
      );
    }
    const rule = { id: this.id(), ...input };
    project.protected_branches.push(rule);
    await this.syncProtection(project);
    return rule;
  }

  async unprotectBranch(project: GlProject, name: string) {
    const i = project.protected_branches.findIndex(p => p.name === name);
    if (i < 0) throw GitLabError.message(404, '404 Not found');
    project.protected_branches.splice(i, 1);
    await this.syncProtection(project);
  }

  // ---- git ----------------------------------------------------------------

  branchSha(project: GlProject, branch: string) {
    return this.repos.refSha(project.repo, `refs/heads/${branch}`);
  }

  signature(user: GlUser, date = nowIso()): Signature {
    return { name: user.name, email: user.email, date };
  }

  /** The last commit on `ref` that changed `filePath` (the files API's last_commit_id). */
  async lastCommitOf(project: GlProject, ref: string, filePath: string) {
    const [sha] = await this.repos.log(project.repo, ref, {
      path: filePath,
      max: 1,
      skip: 0,
    });
    return sha ?? null;
  }

  /**
   * POST /projects/:id/repository/commits (docs.gitlab.com/api/commits,
   * "Create a commit with multiple files and actions"): create, update and
   * delete actions on `branch`, started from `start_branch`/`start_sha`
   * when the branch does not exist yet; `last_commit_id` guards an update
   * against a file changed meanwhile.
   */
  async commit(
    project: GlProject,
    user: GlUser,
    input: {
      branch: string;
      start_branch?: string;
      start_sha?: string;
      commit_message: string;
      actions: CommitAction[];
      author_name?: string;
      author_email?: string;
      force?: boolean;
    },
  ): Promise<string> {
    const repo = project.repo;
    return this.repos.withLock(repo, async () => {
      if (!this.canPush(project, user, input.branch)) {
        throw errors.forbidden('You are not allowed to push into this branch');
      }
      const existing = await this.branchSha(project, input.branch);
      let parent: string | null = existing;
      if (!existing || input.force) {
        if (input.start_sha) {
          parent = await this.repos.resolveCommit(repo, input.start_sha);
          if (!parent) throw errors.badRequest('Invalid start SHA');
        } else if (input.start_branch) {
          parent = await this.branchSha(project, input.start_branch);
          if (!parent) {
            throw errors.badRequest(
              `Invalid reference name: ${input.start_branch}`,
            );
          }
        } else if (!existing) {
          const anyBranch = await this.repos.refs(repo, 'refs/heads/');
          if (anyBranch.length) {
            throw errors.badRequest(
              'You can only create or edit files when you are on a branch',
            );
          }
        }
      }
      const entries: Array<{ path: string; mode: string; sha: string | null }> =
        [];
      for (const a of input.actions) {
        const current = parent
          ? await this.repos.entryAt(repo, parent, a.file_path)
          : null;
        const exists = current?.type === 'blob';
        if (a.action === 'create' && exists) {
          throw errors.badRequest('A file with this name already exists');
        }
        if ((a.action === 'update' || a.action === 'delete') && !exists) {
          throw errors.badRequest("A file with this name doesn't exist");
        }
        if (a.last_commit_id && parent && a.action !== 'create') {
          const last = await this.lastCommitOf(project, parent, a.file_path);
          if (last !== a.last_commit_id) {
            throw errors.badRequest(
              'You are attempting to update a file that has changed since you started editing it.',
            );
          }
        }
        if (a.action === 'delete') {
          entries.push({ path: a.file_path, mode: '100644', sha: null });
        } else {
          const content =
            a.encoding === 'base64'
              ? Buffer.from(a.content ?? '', 'base64')
              : Buffer.from(a.content ?? '', 'utf8');
          entries.push({
            path: a.file_path,
            mode: current?.mode ?? '100644',
            sha: await this.repos.writeBlob(repo, content),
          });
        }
      }
      const baseTree = parent
        ? (await this.repos.commit(repo, parent))!.tree
        : null;
      const tree = await this.repos.writeTree(repo, baseTree, entries);
      const committer = this.signature(user);
      const author = {
        ...committer,
        name: input.author_name ?? committer.name,
        email: input.author_email ?? committer.email,
      };
      const sha = await this.repos.commitTree(
        repo,
        tree,
        parent ? [parent] : [],
        input.commit_message,
        author,
        committer,
      );
      const moved = await this.repos.updateRef(
        repo,
        `refs/heads/${input.branch}`,
        sha,
        existing,
        { name: user.username, email: user.email },
      );
      if (!moved) {
        throw errors.badRequest(
          'You are attempting to update a file that has changed since you started editing it.',
        );
      }
      project.last_activity_at = nowIso();
      return sha;
    });
  }

  // ---- merge requests -----------------------------------------------------

  mergeRequest(project: GlProject, iid: number | string) {
    const mr = project.merge_requests.find(m => m.iid === Number(iid));
    if (!mr) throw errors.notFound('Merge Request');
    return mr;
  }

  /**
   * POST /projects/:id/merge_requests (docs.gitlab.com/api/merge_requests):
   * branch problems answer 409 with GitLab's validation messages.
   */
  async openMergeRequest(
    project: GlProject,
    user: GlUser,
    input: {
      source_branch: string;
      target_branch: string;
      title: string;
      description?: string;
      labels?: string[];
      reviewer_ids?: number[];
      createdAt?: string;
    },
  ): Promise<GlMergeRequest> {
    if (this.access(project, user.id) < ACCESS.developer) {
      throw errors.forbidden();
    }
    const conflict = (message: string) => GitLabError.message(409, [message]);
    if (input.source_branch === input.target_branch) {
      throw conflict("You can't use same project/branch for source and target");
    }
    const head = await this.branchSha(project, input.source_branch);
    if (!head) {
      throw conflict(`Source branch "${input.source_branch}" does not exist`);
    }
    if (!(await this.branchSha(project, input.target_branch))) {
      throw conflict(`Target branch "${input.target_branch}" does not exist`);
    }
    const open = project.merge_requests.find(
      m =>
        m.state === 'opened' &&
        m.source_branch === input.source_branch &&
        m.target_branch === input.target_branch,
    );
    if (open) {
      throw conflict(
        `Another open merge request already exists for this source branch: !${open.iid}`,
      );
    }
    const at = input.createdAt ?? nowIso();
    const mr: GlMergeRequest = {
      id: this.id(),
      iid: project.merge_requests.length + 1,
      project_id: project.id,
      title: input.title,
      description: input.description ?? '',
      state: 'opened',
      source_branch: input.source_branch,
      target_branch: input.target_branch,
      sha: head,
      author_id: user.id,
      labels: [...new Set(input.labels ?? [])],
      reviewer_ids: input.reviewer_ids ?? [],
      draft: /^(\[draft\]|\(draft\)|draft:|draft\s-\s)/i.test(input.title),
      created_at: at,
      updated_at: at,
      merged_at: null,
      merge_user_id: null,
      merge_commit_sha: null,
      closed_at: null,
      closed_by_id: null,
      approvals: [],
      notes: [],
    };
    project.merge_requests.push(mr);
    this.emit({ project, mr, action: 'open' });
    return mr;
  }

  close(mr: GlMergeRequest, user: GlUser) {
    if (mr.state !== 'opened') return;
    mr.state = 'closed';
    mr.closed_at = nowIso();
    mr.closed_by_id = user.id;
    mr.updated_at = mr.closed_at;
  }

  /** A push moves the head of the open merge requests from that branch. */
  private async onPush(repo: RepoRecord, ref: string, after: string) {
    const project = this.projectOfRepo(repo);
    if (!project || !ref.startsWith('refs/heads/') || after === ZERO_SHA)
      return;
    const branch = ref.slice('refs/heads/'.length);
    for (const mr of project.merge_requests) {
      if (
        mr.state !== 'opened' ||
        mr.source_branch !== branch ||
        mr.sha === after
      )
        continue;
      mr.sha = after;
      mr.updated_at = nowIso();
      // "Reset approvals on push": approvals are removed when commits are
      // added to the source branch (docs.gitlab.com/user/project/
      // merge_requests/approvals/settings#remove-all-approvals-when-commits-are-added-to-the-source-branch)
      if (project.reset_approvals_on_push) mr.approvals = [];
      this.emit({ project, mr, action: 'update' });
    }
  }

  /** Users eligible to approve for code owners' entries (users, groups, e-mails). */
  private owners(owners: string[]): number[] {
    const ids = new Set<number>();
    for (const o of owners) {
      if (o.startsWith('@')) {
        const name = o.slice(1);
        const user = this.userByName(name);
        if (user) ids.add(user.id);
        const group = this.group(name);
        if (group) for (const id of this.groupMembers(group)) ids.add(id);
      } else if (o.includes('@')) {
        const user = this.users.find(
          u => u.email.toLowerCase() === o.toLowerCase(),
        );
        if (user) ids.add(user.id);
      }
    }
    return [...ids];
  }

  private async codeOwnersText(project: GlProject, sha: string) {
    for (const p of CODEOWNERS_PATHS) {
      const content = await this.repos.readFile(project.repo, sha, p);
      if (content) return content.toString('utf8');
    }
    return null;
  }

  /**
   * The approval rules of a merge request and how far each is met
   * (docs.gitlab.com/user/project/merge_requests/approvals/rules): the
   * project's rules that apply to the target branch (a rule without
   * protected branches applies to every branch) and, when the target's
   * protected branch requires code owner approval, one rule per matched
   * CODEOWNERS entry of the target branch for the files the merge request
   * changes (docs.gitlab.com/user/project/repository/branches/protected,
   * "Require Code Owner approval"). Approvals count for the rules whose
   * approvers include the user.
   */
  async approvalState(
    project: GlProject,
    mr: GlMergeRequest,
  ): Promise<ApprovalState> {
    const approvedBy = mr.approvals.map(a => a.user_id);
    const state: ApprovalState = {
      approved: true,
      approvals_required: 0,
      approvals_left: 0,
      approved_by: approvedBy,
      rules: [],
    };
    if (this.tier === 'free') return state;
    const protection = protectionOf(project, mr.target_branch);
    const ruleApplies = (r: GlApprovalRule) =>
      r.protected_branch_ids.length === 0 ||
      project.protected_branches.some(
        p =>
          r.protected_branch_ids.includes(p.id) &&
          branchPatternMatches(p.name, mr.target_branch),
      );
    const add = (
      name: string,
      rule_type: ApprovalState['rules'][number]['rule_type'],
      asked: number,
      eligible: number[] | 'developers',
    ) => {
      const by = approvedBy.filter(id =>
        eligible === 'developers'
          ? this.access(project, id) >= ACCESS.developer
          : eligible.includes(id),
      );
      // A rule whose approvers (less the author, who may not approve) have
      // all approved is met, however many it asks for; a rule without
      // approvers is met at once (ee/app/models/approval_wrapped_rule.rb:
      // approved? is approvals_left <= 0 || unactioned_approvers.size <= 0).
      const unactioned =
        eligible === 'developers'
          ? 1
          : eligible.filter(
              id =>
                !by.includes(id) &&
                (id !== mr.author_id || project.merge_requests_author_approval),
            ).length;
      const left = unactioned === 0 ? 0 : Math.max(0, asked - by.length);
      // A code owner rule asks for nothing when nobody may approve it
      // (ee/app/models/approval_wrapped_code_owner_rule.rb).
      const required =
        rule_type === 'code_owner' && unactioned === 0 && by.length === 0
          ? 0
          : asked;
      state.rules.push({
        name,
        rule_type,
        approvals_required: required,
        eligible:
          eligible === 'developers'
            ? this.users
                .filter(u => this.access(project, u.id) >= ACCESS.developer)
                .map(u => u.id)
            : eligible,
        approved_by: by,
        approved: left === 0,
      });
      state.approvals_required += required;
      state.approvals_left += left;
    };
    for (const r of project.approval_rules.filter(ruleApplies)) {
      if (r.rule_type === 'any_approver') {
        add(r.name, r.rule_type, r.approvals_required, 'developers');
      } else {
        const eligible = new Set(r.user_ids);
        for (const gid of r.group_ids) {
          const g = this.group(gid);
          if (g) for (const id of this.groupMembers(g)) eligible.add(id);
        }
        add(r.name, r.rule_type, r.approvals_required, [...eligible]);
      }
    }
    if (protection?.code_owner_approval_required) {
      const target = await this.branchSha(project, mr.target_branch);
      const text = target && (await this.codeOwnersText(project, target));
      if (target && text) {
        const files = await this.repos.changedFiles(
          project.repo,
          target,
          mr.sha,
        );
        for (const entry of matchedEntries(text, files)) {
          if (entry.optional) continue;
          add(
            entry.pattern,
            'code_owner',
            entry.approvalsRequired,
            this.owners(entry.owners),
          );
        }
      }
    }
    state.approved = state.approvals_left === 0;
    return state;
  }

  /**
   * POST /projects/:id/merge_requests/:iid/approve
   * (docs.gitlab.com/api/merge_request_approvals#approve-merge-request):
   * `sha` must be the head; the author may not approve ("Prevent approval
   * by author", on by default), nor may someone approve twice or without
   * at least the Developer role: 401.
   */
  async approve(
    project: GlProject,
    mr: GlMergeRequest,
    user: GlUser,
    sha?: string,
  ) {
    if (mr.state !== 'opened') throw errors.unauthorized();
    if (sha && sha !== mr.sha) {
      throw GitLabError.message(
        409,
        'SHA does not match HEAD of source branch',
      );
    }
    if (
      (mr.author_id === user.id && !project.merge_requests_author_approval) ||
      mr.approvals.some(a => a.user_id === user.id) ||
      this.access(project, user.id) < ACCESS.developer
    ) {
      throw errors.unauthorized();
    }
    mr.approvals.push({ user_id: user.id, at: nowIso() });
    mr.updated_at = nowIso();
  }

  /** The latest pipeline of the merge request's head (its "head pipeline"). */
  headPipeline(project: GlProject, mr: GlMergeRequest) {
    return project.pipelines
      .filter(p => p.sha === mr.sha)
      .sort((a, b) => b.id - a.id)[0];
  }

  async hasConflicts(project: GlProject, mr: GlMergeRequest) {
    if (mr.state !== 'opened') return false;
    const target = await this.branchSha(project, mr.target_branch);
    if (!target) return false;
    return (await this.repos.mergeTree(project.repo, target, mr.sha)) === null;
  }

  /**
   * `detailed_merge_status` (docs.gitlab.com/api/merge_requests, "Merge
   * status"): not_open, draft_status, conflict (decided by `git merge-tree
   * --write-tree`), ci_must_pass / ci_still_running when "Pipelines must
   * succeed" is on and the head pipeline did not succeed, not_approved
   * while approvals are left, else mergeable.
   */
  async detailedMergeStatus(
    project: GlProject,
    mr: GlMergeRequest,
  ): Promise<string> {
    if (mr.state !== 'opened') return 'not_open';
    if (mr.draft) return 'draft_status';
    if (!(await this.branchSha(project, mr.source_branch))) {
      return 'commits_status';
    }
    if (await this.hasConflicts(project, mr)) return 'conflict';
    if (project.only_allow_merge_if_pipeline_succeeds) {
      const p = this.headPipeline(project, mr);
      if (!p || ['failed', 'canceled', 'skipped'].includes(p.status)) {
        return 'ci_must_pass';
      }
      if (p.status !== 'success') return 'ci_still_running';
    }
    if (!(await this.approvalState(project, mr)).approved) {
      return 'not_approved';
    }
    return 'mergeable';
  }

  /** GitLab's full reference of a merge request, `group/project!iid`. */
  reference(project: GlProject, mr: GlMergeRequest) {
    return `${fullPath(project)}!${mr.iid}`;
  }

  /**
   * PUT /projects/:id/merge_requests/:iid/merge (docs.gitlab.com/api/
   * merge_requests#merge-a-merge-request; lib/api/merge_requests.rb): 401
   * for a user who may not merge into the target (merge_access_level), 405
   * while the merge request is not open or a merge check fails (approvals,
   * pipeline), 422 "Branch cannot be merged" on conflicts, 409 when `sha`
   * is not the head. The merge is a merge commit (the default merge method)
   * with GitLab's default merge commit template (docs.gitlab.com/user/
   * project/merge_requests/commit_templates).
   */
  async merge(
    project: GlProject,
    mr: GlMergeRequest,
    user: GlUser,
    opts: {
      sha?: string;
      should_remove_source_branch?: boolean;
      merge_commit_message?: string;
      at?: string;
    } = {},
  ): Promise<GlMergeRequest> {
    if (!this.canMerge(project, user, mr.target_branch)) {
      throw errors.unauthorized();
    }
    if (mr.state !== 'opened') throw errors.notAllowed();
    const status = await this.detailedMergeStatus(project, mr);
    if (status === 'conflict') {
      throw GitLabError.message(422, 'Branch cannot be merged');
    }
    if (status !== 'mergeable') throw errors.notAllowed();
    if (opts.sha && opts.sha !== mr.sha) {
      throw GitLabError.message(
        409,
        `SHA does not match HEAD of source branch: ${mr.sha}`,
      );
    }
    const repo = project.repo;
    await this.repos.withLock(repo, async () => {
      const target = await this.branchSha(project, mr.target_branch);
      const tree = target && (await this.repos.mergeTree(repo, target, mr.sha));
      if (!target || !tree) {
        throw GitLabError.message(422, 'Branch cannot be merged');
      }
      const message =
        opts.merge_commit_message ??
        [
          `Merge branch '${mr.source_branch}' into '${mr.target_branch}'`,
          mr.title,
          `See merge request ${this.reference(project, mr)}`,
        ].join('\n\n');
      const at = opts.at ?? nowIso();
      const sha = await this.repos.commitTree(
        repo,
        tree,
        [target, mr.sha],
        `${message}\n`,
        this.signature(user, at),
      );
      const moved = await this.repos.updateRef(
        repo,
        `refs/heads/${mr.target_branch}`,
        sha,
        target,
        { name: user.username, email: user.email },
      );
      if (!moved) throw GitLabError.message(422, 'Branch cannot be merged');
      mr.state = 'merged';
      mr.merged_at = at;
      mr.updated_at = at;
      mr.merge_user_id = user.id;
      mr.merge_commit_sha = sha;
      project.last_activity_at = at;
    });
    if (opts.should_remove_source_branch) {
      await this.repos.deleteRef(repo, `refs/heads/${mr.source_branch}`, {
        name: user.username,
        email: user.email,
      });
    }
    return mr;
  }

  // ---- pipelines and commit statuses -------------------------------------

  createPipeline(
    project: GlProject,
    input: {
      sha: string;
      ref: string;
      source: GlPipeline['source'];
      userId: number;
      mrIid?: number;
      at?: string;
    },
  ): GlPipeline {
    const at = input.at ?? nowIso();
    const pipeline: GlPipeline = {
      id: this.id(),
      iid: project.pipelines.length + 1,
      project_id: project.id,
      sha: input.sha,
      ref: input.ref,
      source: input.source,
      status: 'created',
      user_id: input.userId,
      merge_request_iid: input.mrIid ?? null,
      created_at: at,
      updated_at: at,
      jobs: [],
    };
    project.pipelines.push(pipeline);
    return pipeline;
  }

  /**
   * A pipeline's status from its jobs (docs.gitlab.com/ci/pipelines): failed
   * when a job failed, running while one runs, pending while one waits,
   * success when all succeeded.
   */
  refreshPipeline(pipeline: GlPipeline, at = nowIso()) {
    const s = pipeline.jobs.map(j => j.status);
    const order: Array<[GlPipelineStatus, boolean]> = [
      ['failed', s.includes('failed')],
      ['running', s.includes('running')],
      ['pending', s.includes('pending') || s.includes('created')],
      ['canceled', s.includes('canceled')],
      [
        'success',
        s.length > 0 && s.every(x => x === 'success' || x === 'skipped'),
      ],
    ];
    pipeline.status = order.find(([, yes]) => yes)?.[0] ?? pipeline.status;
    pipeline.updated_at = at;
  }

  setJob(
    pipeline: GlPipeline,
    name: string,
    status: GlPipelineStatus,
    fields: Partial<Omit<GlJob, 'id' | 'name' | 'status'>> & {
      author_id: number;
    },
  ): GlJob {
    const at = nowIso();
    let job = pipeline.jobs.find(j => j.name === name);
    if (!job) {
      job = {
        id: this.id(),
        name,
        stage: 'test',
        status,
        log: [],
        description: null,
        target_url: null,
        created_at: fields.created_at ?? at,
        finished_at: null,
        author_id: fields.author_id,
      };
      pipeline.jobs.push(job);
    }
    Object.assign(job, fields, { status });
    if (PIPELINE_DONE.includes(status))
      job.finished_at ??= fields.finished_at ?? at;
    this.refreshPipeline(pipeline, fields.finished_at ?? at);
    return job;
  }

  /**
   * POST /projects/:id/statuses/:sha (docs.gitlab.com/api/commits#set-the-pipeline-status-of-a-commit):
   * the status is a job named `name` in the pipeline `pipeline_id`, else in
   * the latest pipeline of the commit (on `ref` when given), else in a new
   * `external` pipeline.
   */
  setCommitStatus(
    project: GlProject,
    user: GlUser,
    sha: string,
    input: {
      state: GlPipelineStatus;
      name: string;
      ref?: string;
      target_url?: string | null;
      description?: string | null;
      pipeline_id?: number;
    },
  ): { pipeline: GlPipeline; job: GlJob } {
    let pipeline = input.pipeline_id
      ? project.pipelines.find(p => p.id === input.pipeline_id && p.sha === sha)
      : project.pipelines
          .filter(p => p.sha === sha && (!input.ref || p.ref === input.ref))
          .sort((a, b) => b.id - a.id)[0];
    if (!pipeline) {
      if (input.pipeline_id) throw errors.notFound('Pipeline');
      pipeline = this.createPipeline(project, {
        sha,
        ref: input.ref ?? project.repo.default_branch,
        source: 'external',
        userId: user.id,
      });
    }
    const job = this.setJob(pipeline, input.name, input.state, {
      author_id: user.id,
      target_url: input.target_url ?? null,
      description: input.description ?? null,
    });
    return { pipeline, job };
  }

  /** The merge requests whose head or merge commit is `sha`. */
  mergeRequestsOfCommit(project: GlProject, sha: string) {
    return project.merge_requests.filter(
      m => m.sha === sha || m.merge_commit_sha === sha,
    );
  }

  /** Members: 409 when the user is already a direct member. */
  async addMember(project: GlProject, userId: number, level: number) {
    if (project.members.has(userId)) {
      throw GitLabError.message(409, 'Member already exists');
    }
    project.members.set(userId, level);
    await this.syncProtection(project);
  }

  async share(project: GlProject, groupId: number, level: number) {
    project.shared_with.set(groupId, level);
    await this.syncProtection(project);
  }

  webUrl(project: GlProject) {
    return `${this.baseUrl()}/${fullPath(project)}`;
  }
}
