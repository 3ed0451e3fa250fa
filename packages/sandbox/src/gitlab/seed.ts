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
 * The GitLab seed: a group `ml-platform` (with the subgroup `growth-ml`) and
 * the config repo of `demand-forecaster` whose registry is a Kubeflow Model
 * Registry, with the same layout and history style as the GitHub seed
 * (seed/seedGit.ts): every change a merge request from a branch cut from
 * the branch it changes, merged with GitLab's merge commit, its validate
 * pipeline recorded on the head.
 */

import fs from 'node:fs/promises';
import path from 'node:path';
import { git } from '../lib/git';
import { daysAgo, SeedModel, USERS } from '../seed/data';
import { configRepoFiles, setModelVersion } from '../seed/files';
import { GitLabHost } from './GitLabHost';
import { ACCESS, GlMergeRequest, GlProject } from './model';

export const GITLAB_GROUP = 'ml-platform';
export const VALIDATE_JOB = 'ml-gitops/validate';

/**
 * demand-forecaster in the Kubeflow Model Registry: versions "1" (archived),
 * "2" and "3" (live), as the Kubeflow emulator's seed registers them.
 */
export const GITLAB_MODEL: SeedModel = {
  name: 'demand-forecaster',
  team: 'growth-ml',
  operator: 'argocd',
  gates: { auc: { min: 0.85 }, latency_p95_ms: { max: 60 } },
  replicas: 2,
  initial: { daysAgo: 60, version: '2', author: 'grace' },
  versions: [
    {
      version: '1',
      registeredDaysAgo: 90,
      metrics: { auc: 0.84, latency_p95_ms: 58 },
      user: 'grace',
    },
    {
      version: '2',
      registeredDaysAgo: 61,
      metrics: { auc: 0.872, latency_p95_ms: 51 },
      user: 'grace',
    },
    {
      version: '3',
      registeredDaysAgo: 21,
      metrics: { auc: 0.889, latency_p95_ms: 47 },
      user: 'grace',
    },
  ],
  steps: [
    {
      kind: 'deploy',
      daysAgo: 20,
      version: '3',
      author: 'grace',
      reviewer: 'katherine',
    },
    {
      kind: 'promote',
      daysAgo: 18,
      from: 'dev',
      to: 'staging',
      author: 'grace',
      reviewer: 'katherine',
    },
  ],
  aliases: {},
};

function iso(d: Date) {
  return d.toISOString().replace('.000Z', 'Z');
}

export type GitLabSeed = { project: GlProject };

export async function seedGitLab(
  host: GitLabHost,
  workRoot: string,
): Promise<GitLabSeed> {
  const u = (login: string) => host.userByName(login)!;
  const group = host.createGroup(
    GITLAB_GROUP,
    undefined,
    'The ML platform team and the config repos of its models.',
  );
  group.members.set(u('katherine').id, ACCESS.maintainer);
  group.members.set(u('ml-gitops-bot').id, ACCESS.maintainer);
  const team = host.createGroup('growth-ml', group, 'The growth ML team.');
  team.members.set(u('grace').id, ACCESS.developer);

  const model = GITLAB_MODEL;
  const project = await host.createProject(group, `${model.name}-config`, {
    description: `GitOps config of the ${model.name} model: environment branches declare the version that serves.`,
    visibility: 'internal',
    defaultBranch: 'dev',
    createdAt: iso(daysAgo(model.initial.daysAgo, -60)),
  });
  await host.addMember(project, u('grace').id, ACCESS.developer);
  await host.addMember(project, u('ada').id, ACCESS.developer);

  const work = path.join(workRoot, `gitlab-${model.name}`);
  await fs.mkdir(work, { recursive: true });
  const run = (args: string[], env: Record<string, string> = {}) =>
    git(args, { cwd: work, env });
  const as = (login: string, at: Date) => {
    const p = USERS[login];
    return {
      GIT_AUTHOR_NAME: p.name,
      GIT_AUTHOR_EMAIL: p.email,
      GIT_AUTHOR_DATE: iso(at),
      GIT_COMMITTER_NAME: p.name,
      GIT_COMMITTER_EMAIL: p.email,
      GIT_COMMITTER_DATE: iso(at),
    };
  };
  const head = () => run(['rev-parse', 'HEAD']);
  await run(['init', '--quiet', '--initial-branch=dev']);
  const files = configRepoFiles(model, model.initial.version, {
    host: 'gitlab',
    registry: { name: 'kubeflow-default', type: 'kubeflow' },
    owners: { team: `@${team.full_path}`, platform: `@${group.full_path}` },
  });
  for (const [p, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(work, p)), { recursive: true });
    await fs.writeFile(path.join(work, p), content);
  }
  await run(['add', '-A']);
  await run(
    [
      'commit',
      '--quiet',
      '-m',
      `Create config repo for ${model.name}\n\nServes version ${model.initial.version} in every environment.`,
    ],
    as(model.initial.author, daysAgo(model.initial.daysAgo)),
  );
  await run(['branch', 'staging']);
  await run(['branch', 'production']);
  const version: Record<string, string> = {
    dev: model.initial.version,
    staging: model.initial.version,
    production: model.initial.version,
  };

  const records: Array<{ mr: GlMergeRequest; at: Date }> = [];
  for (const step of model.steps) {
    if (step.kind !== 'deploy' && step.kind !== 'promote') continue;
    const t = daysAgo(step.daysAgo, -180);
    const minutes = (n: number) => new Date(t.getTime() + n * 60_000);
    const target = step.kind === 'deploy' ? 'dev' : step.to;
    const v = step.kind === 'deploy' ? step.version : version[step.from];
    const branch =
      step.kind === 'deploy'
        ? `ml-gitops/deploy/dev/${v}`
        : `ml-gitops/promote/${target}/${v}`;
    const title =
      step.kind === 'deploy'
        ? `Deploy ${model.name} ${v} to dev`
        : `Promote ${model.name} ${v} to ${target}`;
    await run(['checkout', '--quiet', target]);
    await run(['checkout', '--quiet', '-b', branch]);
    const file = path.join(work, 'deploy/model.yaml');
    await fs.writeFile(
      file,
      setModelVersion(await fs.readFile(file, 'utf8'), v),
    );
    await run(['commit', '--quiet', '-am', title], as(step.author, t));
    const sha = await head();
    const mr: GlMergeRequest = {
      id: host.id(),
      iid: project.merge_requests.length + 1,
      project_id: project.id,
      title,
      description: `Changes \`model_version\` in ${target} from ${version[target]} to ${v}.`,
      state: 'merged',
      source_branch: branch,
      target_branch: target,
      sha,
      author_id: u(step.author).id,
      labels: [
        step.kind === 'deploy' ? 'ml-gitops/deploy' : 'ml-gitops/promotion',
      ],
      reviewer_ids: [u(step.reviewer).id],
      draft: false,
      created_at: iso(minutes(5)),
      updated_at: iso(minutes(90)),
      merged_at: iso(minutes(90)),
      merge_user_id: u(step.reviewer).id,
      merge_commit_sha: null,
      closed_at: null,
      closed_by_id: null,
      approvals: [{ user_id: u(step.reviewer).id, at: iso(minutes(60)) }],
      notes: [],
    };
    project.merge_requests.push(mr);
    await run(['checkout', '--quiet', target]);
    const reviewer = USERS[step.reviewer];
    await run(
      [
        'merge',
        '--quiet',
        '--no-ff',
        '-m',
        `Merge branch '${branch}' into '${target}'\n\n${title}\n\nSee merge request ${GITLAB_GROUP}/${project.path}!${mr.iid}`,
        branch,
      ],
      {
        ...as(step.reviewer, minutes(90)),
        GIT_COMMITTER_NAME: reviewer.name,
        GIT_COMMITTER_EMAIL: reviewer.email,
      },
    );
    mr.merge_commit_sha = await head();
    await run(['branch', '--quiet', '-D', branch]);
    version[target] = v;
    records.push({ mr, at: minutes(5) });
  }
  await run([
    'push',
    '--quiet',
    host.repos.dir(project.repo),
    'refs/heads/*:refs/heads/*',
  ]);
  await fs.rm(work, { recursive: true, force: true });

  const bot = u('ml-gitops-bot');
  for (const { mr, at } of records) {
    const pipeline = host.createPipeline(project, {
      sha: mr.sha,
      ref: `refs/merge-requests/${mr.iid}/head`,
      source: 'merge_request_event',
      userId: bot.id,
      mrIid: mr.iid,
      at: iso(at),
    });
    host.setJob(pipeline, VALIDATE_JOB, 'success', {
      author_id: bot.id,
      created_at: iso(at),
      finished_at: iso(new Date(at.getTime() + 3 * 60_000)),
      description: 'ml-gitops validate passed',
    });
  }

  // as `ml-gitops:config-repo:create` protects a config repo: no direct
  // pushes to staging and production, merges by developers, code owner
  // approval and one approval in production, the pipeline must succeed
  project.only_allow_merge_if_pipeline_succeeds = true;
  await host.protectBranch(project, {
    name: 'staging',
    push_access_level: 0,
    merge_access_level: ACCESS.developer,
    allow_force_push: false,
    code_owner_approval_required: false,
  });
  const production = await host.protectBranch(project, {
    name: 'production',
    push_access_level: 0,
    merge_access_level: ACCESS.developer,
    allow_force_push: false,
    code_owner_approval_required: true,
  });
  project.approval_rules.push({
    id: host.id(),
    name: 'Production',
    rule_type: 'any_approver',
    approvals_required: 1,
    protected_branch_ids: [production.id],
    user_ids: [],
    group_ids: [],
  });
  project.last_activity_at = iso(
    daysAgo(model.steps[model.steps.length - 1].daysAgo),
  );
  return { project };
}
