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

import fs from 'node:fs/promises';
import path from 'node:path';
import { git } from '../lib/git';
import {
  BranchProtection,
  GitRepos,
  PullRecord,
  RepoRecord,
} from '../githost/GitRepos';
import {
  daysAgo,
  ENVIRONMENTS,
  Environment,
  GITHUB_ACTIONS_APP,
  MODELS,
  ORG,
  SeedModel,
  USERS,
} from './data';
import { configRepoFiles, setModelVersion } from './files';

export const VALIDATE_CONTEXT = 'ml-gitops/validate';
export const GITHUB_COMMITTER = { name: 'GitHub', email: 'noreply@github.com' };

/** The labels of the product's pull requests. */
export const LABELS = {
  deploy: 'ml-gitops/deploy',
  promotion: 'ml-gitops/promotion',
  rollback: 'ml-gitops/rollback',
};

/**
 * The machine-readable block of a rollback PR's body: JSON in an HTML
 * comment, with `<`, `>` and `-` escaped inside its strings so that no text
 * can end the comment.
 */
export function rollbackBlock(fields: {
  reason: string;
  from: string;
  to: string;
}): string {
  const json = JSON.stringify(fields).replace(
    /[<>-]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `<!-- ml-gitops:rollback ${json} -->`;
}

/**
 * An environment branch's protection as `ml-gitops:config-repo:create` sets
 * it (GithubConfigRepoWriter.protectBranch): pull requests only, the
 * validate check on an up-to-date head (strict), stale approvals dismissed,
 * and in the last environment one approval by a code owner; no force pushes
 * or deletions. The check may come from any source: the product protects
 * the branches before any status exists. Unlike the product,
 * `enforce_admins` stays off, so that the sandbox's `admin` may still push.
 */
function productProtection(approvals: number): BranchProtection {
  return {
    required_status_checks: {
      strict: true,
      contexts: [VALIDATE_CONTEXT],
      checks: [{ context: VALIDATE_CONTEXT, app_id: null }],
    },
    required_pull_request_reviews: {
      required_approving_review_count: approvals,
      dismiss_stale_reviews: true,
      require_code_owner_reviews: approvals > 0,
    },
    enforce_admins: false,
    allow_force_pushes: false,
    allow_deletions: false,
  };
}

function iso(d: Date) {
  return d.toISOString().replace('.000Z', 'Z');
}

/**
 * Builds one config repo's history in a work tree with the git CLI
 * (backdated commits, merge commits for pull requests, a real `git revert`),
 * pushes it into the bare repository and records the pull requests. Every
 * change is a pull request from a branch cut from the head of the branch it
 * changes, with one commit by the person: a deploy
 * (`ml-gitops/deploy/<env>/<version>`) or a promotion
 * (`ml-gitops/promote/<target>/<version>`) sets `model_version`, a rollback
 * (`ml-gitops/rollback/<env>/<version>`) reverts the last deployment's
 * commit.
 */
async function seedModel(repos: GitRepos, workRoot: string, model: SeedModel) {
  const repo = await repos.create(ORG, `${model.name}-config`, {
    description: `GitOps config of the ${model.name} model: environment branches declare the version that serves.`,
    defaultBranch: 'dev',
    createdAt: iso(daysAgo(model.initial.daysAgo, -60)),
  });
  const work = path.join(workRoot, model.name);
  await fs.mkdir(work, { recursive: true });
  const run = (args: string[], env: Record<string, string> = {}) =>
    git(args, { cwd: work, env });
  const as = (
    login: string,
    at: Date,
    committer?: { name: string; email: string },
  ) => {
    const u = USERS[login];
    const c = committer ?? u;
    return {
      GIT_AUTHOR_NAME: u.name,
      GIT_AUTHOR_EMAIL: u.email,
      GIT_AUTHOR_DATE: iso(at),
      GIT_COMMITTER_NAME: c.name,
      GIT_COMMITTER_EMAIL: c.email,
      GIT_COMMITTER_DATE: iso(at),
    };
  };
  const head = () => run(['rev-parse', 'HEAD']);
  const version = { dev: '', staging: '', production: '' } as Record<
    Environment,
    string
  >;

  await run(['init', '--quiet', '--initial-branch=dev']);
  const files = configRepoFiles(model, model.initial.version);
  for (const [p, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(work, p)), { recursive: true });
    await fs.writeFile(path.join(work, p), content);
  }
  await run(['add', '-A']);
  const t0 = daysAgo(model.initial.daysAgo);
  await run(
    [
      'commit',
      '--quiet',
      '-m',
      `Create config repo for ${model.name}\n\nServes version ${model.initial.version} in every environment.`,
    ],
    as(model.initial.author, t0),
  );
  await run(['branch', 'staging']);
  await run(['branch', 'production']);
  for (const env of ENVIRONMENTS) version[env] = model.initial.version;

  let prNumber = 0;
  const status = (
    sha: string,
    state: 'success' | 'failure',
    at: Date,
    description: string,
  ) => {
    const list = (repo.statuses[sha] ??= []);
    list.push({
      id: repos.nextObjectId(),
      state,
      context: VALIDATE_CONTEXT,
      description,
      target_url: null,
      created_at: iso(at),
      updated_at: iso(at),
      // the repo's validate workflow, run by GitHub Actions
      creator: GITHUB_ACTIONS_APP.login,
      app_id: GITHUB_ACTIONS_APP.id,
    });
  };
  const newPull = (
    p: Omit<PullRecord, 'id' | 'number' | 'requested_reviewers' | 'draft'>,
  ): PullRecord => {
    const record: PullRecord = {
      ...p,
      id: repos.nextObjectId(),
      number: ++prNumber,
      requested_reviewers: [],
      draft: false,
    };
    repo.pulls.push(record);
    return record;
  };
  const review = (pr: PullRecord, login: string, at: Date) => {
    pr.reviews.push({
      id: repos.nextObjectId(),
      user: login,
      state: 'APPROVED',
      body: 'LGTM',
      submitted_at: iso(at),
      commit_id: pr.head.sha,
    });
  };
  const mergePr = async (
    pr: PullRecord,
    merger: string,
    at: Date,
    headOwnerRef: string,
  ) => {
    await run(['checkout', '--quiet', pr.base.ref]);
    pr.base.sha = await head();
    await run(
      [
        'merge',
        '--quiet',
        '--no-ff',
        '-X',
        'theirs',
        '-m',
        `Merge pull request #${pr.number} from ${headOwnerRef}\n\n${pr.title}`,
        pr.head.ref,
      ],
      as(merger, at, GITHUB_COMMITTER),
    );
    pr.state = 'closed';
    pr.merged_at = iso(at);
    pr.closed_at = iso(at);
    pr.updated_at = iso(at);
    pr.merge_commit_sha = await head();
    pr.merged_by = merger;
  };

  for (const step of model.steps) {
    const t = daysAgo(step.daysAgo, -180);
    const minutes = (n: number) => new Date(t.getTime() + n * 60_000);
    if (step.kind === 'deploy') {
      const branch = `ml-gitops/deploy/dev/${step.version}`;
      await run(['checkout', '--quiet', 'dev']);
      await run(['checkout', '--quiet', '-b', branch]);
      const file = path.join(work, 'deploy/model.yaml');
      await fs.writeFile(
        file,
        setModelVersion(await fs.readFile(file, 'utf8'), step.version),
      );
      await run(
        [
          'commit',
          '--quiet',
          '-am',
          `Deploy ${model.name} ${step.version} to dev`,
        ],
        as(step.author, t),
      );
      const sha = await head();
      const title = `Deploy ${model.name} ${step.version} to dev`;
      const pr = newPull({
        title,
        body: `Changes \`model_version\` in dev from ${version.dev} to ${step.version}.`,
        labels: [LABELS.deploy],
        state: 'open',
        user: step.author,
        head: { ref: branch, sha },
        base: { ref: 'dev', sha: '' },
        created_at: iso(minutes(5)),
        updated_at: iso(minutes(5)),
        closed_at: null,
        merged_at: null,
        merge_commit_sha: null,
        merged_by: null,
        reviews: [],
      });
      if (step.failingCheck) {
        status(
          sha,
          'failure',
          minutes(8),
          `Gate failed for ${model.name} ${step.version}: auc below min ${model.gates.auc.min}`,
        );
      } else {
        status(
          sha,
          'success',
          minutes(8),
          `Version ${step.version} exists and passes its gates`,
        );
      }
      if (step.reviewer !== step.author) review(pr, step.reviewer, minutes(60));
      await mergePr(pr, step.reviewer, minutes(90), `${ORG}/${branch}`);
      await run(['branch', '--quiet', '-D', branch]);
      version.dev = step.version;
    } else if (step.kind === 'promote' || step.kind === 'open-promote') {
      // A promotion by value: the target's head with the source's version.
      const promoted = version[step.from];
      const branch = `ml-gitops/promote/${step.to}/${promoted}`;
      await run(['checkout', '--quiet', step.to]);
      const baseSha = await head();
      await run(['checkout', '--quiet', '-b', branch]);
      const file = path.join(work, 'deploy/model.yaml');
      await fs.writeFile(
        file,
        setModelVersion(await fs.readFile(file, 'utf8'), promoted),
      );
      const title = `Promote ${model.name} ${promoted} to ${step.to}`;
      await run(['commit', '--quiet', '-am', title], as(step.author, t));
      const sha = await head();
      const pr = newPull({
        title,
        body: `Promotes ${model.name} from ${step.from} to ${
          step.to
        }: \`model_version\` ${version[step.to]} → ${promoted}.`,
        labels: [LABELS.promotion],
        state: 'open',
        user: step.author,
        head: { ref: branch, sha },
        base: { ref: step.to, sha: baseSha },
        created_at: iso(minutes(5)),
        updated_at: iso(minutes(5)),
        closed_at: null,
        merged_at: null,
        merge_commit_sha: null,
        merged_by: null,
        reviews: [],
      });
      status(
        sha,
        'success',
        minutes(8),
        `Version ${promoted} exists and passes its gates`,
      );
      if (step.kind === 'open-promote') {
        pr.requested_reviewers = ['katherine'];
        continue;
      }
      review(pr, step.reviewer, minutes(60));
      await mergePr(pr, step.reviewer, minutes(90), `${ORG}/${branch}`);
      await run(['branch', '--quiet', '-D', branch]);
      version[step.to] = promoted;
    } else if (step.kind === 'rollback') {
      // The last deployment: the commit of the pull request merged last.
      await run(['checkout', '--quiet', step.env]);
      const tip = await head();
      const tipParents = (await run(['rev-list', '--parents', '-n', '1', tip]))
        .split(' ')
        .slice(1);
      const last = tipParents.length > 1 ? tipParents[1] : tip;
      const lastParents = (
        await run(['rev-list', '--parents', '-n', '1', last])
      )
        .split(' ')
        .slice(1);
      if (lastParents.length !== 1) {
        throw new Error(
          `${model.name}: the last deployment to ${step.env} is no plain commit`,
        );
      }
      const lastSubject = await run(['log', '-1', '--format=%s', last]);
      const previous =
        (await run(['show', `${last}^1:deploy/model.yaml`])).match(
          /^model_version:\s*"([^"]*)"/m,
        )?.[1] ?? '';
      const branch = `ml-gitops/rollback/${step.env}/${previous}`;
      await run(['checkout', '--quiet', '-b', branch]);
      await run(['revert', '--no-edit', '--no-commit', last]);
      await run(
        [
          'commit',
          '--quiet',
          '-m',
          `Revert "${lastSubject}"\n\nThis reverts commit ${last}.\n\nRoll back ${model.name} in ${step.env} to ${previous}: ${step.reason}.`,
        ],
        as(step.author, t),
      );
      const sha = await head();
      const pr = newPull({
        title: `Roll back ${model.name} in ${step.env} to ${previous}`,
        body: `${rollbackBlock({
          reason: step.reason,
          from: version[step.env],
          to: previous,
        })}\n\nRolls back ${model.name} in ${step.env} from ${
          version[step.env]
        } to ${previous}. Reason: ${
          step.reason
        }.\n\nReverts ${last} (${lastSubject}).`,
        labels: [LABELS.rollback],
        state: 'open',
        user: step.author,
        head: { ref: branch, sha },
        base: { ref: step.env, sha: '' },
        created_at: iso(minutes(2)),
        updated_at: iso(minutes(2)),
        closed_at: null,
        merged_at: null,
        merge_commit_sha: null,
        merged_by: null,
        reviews: [],
      });
      status(
        sha,
        'success',
        minutes(4),
        `Version ${previous} exists and passes its gates`,
      );
      review(pr, step.reviewer, minutes(6));
      await mergePr(pr, step.reviewer, minutes(7), `${ORG}/${branch}`);
      await run(['branch', '--quiet', '-D', branch]);
      version[step.env] = previous;
    }
  }

  await run(['push', '--quiet', repos.dir(repo), 'refs/heads/*:refs/heads/*']);
  repo.pushed_at = iso(daysAgo(Math.min(...model.steps.map(s => s.daysAgo))));
  // as `ml-gitops:config-repo:create` protects a new config repo; dev stays
  // unprotected here (the seeded churn-predictor 8 went in with a failing
  // check)
  repo.protection.staging = productProtection(0);
  repo.protection.production = productProtection(1);
  await repos.syncProtection(repo);
  return { repo, version };
}

export type SeedResult = {
  repos: Array<{
    model: SeedModel;
    repo: RepoRecord;
    declared: Record<Environment, string>;
  }>;
};

export async function seedGit(
  repos: GitRepos,
  workRoot: string,
): Promise<SeedResult> {
  const result: SeedResult = { repos: [] };
  for (const model of MODELS) {
    const { repo, version } = await seedModel(repos, workRoot, model);
    result.repos.push({ model, repo, declared: version });
  }
  await fs.rm(workRoot, { recursive: true, force: true });
  return result;
}
