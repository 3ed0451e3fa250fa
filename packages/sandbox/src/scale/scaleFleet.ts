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
 * A large synthetic fleet for load measurements: thousands of models, each
 * with a config repo whose environment branches carry a real-looking GitOps
 * history (an initial commit, a deployment PR merged into dev, promotion PRs
 * merged into staging and production), deployed by one Argo CD instance per
 * environment. Generated in memory in well under a second; the same input
 * gives the same fleet (SHAs, uids, versions).
 */

import { CommitInfo, PullRecord, RepoRecord } from '../githost/GitRepos';
import { GITHUB_COMMITTER } from '../seed/seedGit';
import {
  daysAgo,
  ENVIRONMENTS,
  Environment,
  ORG,
  SeedModel,
  stableHex,
  USERS,
} from '../seed/data';
import { modelYaml } from '../seed/files';
import { HistoryEntry, LiveDeployment } from '../live/World';
import { readyPredictor } from '../live/predictor';
import { MlflowStore } from '../mlflow/MlflowApi';

/** One config repo of the fleet, with its commits, files and pull requests. */
export type ScaleRepo = {
  record: RepoRecord;
  model: SeedModel;
  commits: Map<string, CommitInfo>;
  /** The text of deploy/model.yaml at each commit. */
  manifests: Map<string, string>;
  /** Branch name → head commit. */
  heads: Record<string, string>;
};

export type ScaleFleetOptions = {
  /** How many models (each has one config repo and one deployment per environment). */
  models: number;
  /** Out of every this many production deployments, one has drifted (0 = none). */
  driftEvery?: number;
};

export type ScaleFleet = {
  repos: Map<string, ScaleRepo>;
  /** The Argo CD Applications, by environment (one Argo CD instance each). */
  deployments: Record<Environment, LiveDeployment[]>;
  mlflow: MlflowStore;
  models: SeedModel[];
};

const AUTHORS = ['ada', 'grace'];
const REVIEWERS = ['katherine', 'ada'];

function iso(d: Date) {
  return d.toISOString().replace('.000Z', 'Z');
}

function sig(login: string, at: Date) {
  const u = USERS[login];
  return { name: u.name, email: u.email, date: iso(at) };
}

/** A fake but well-formed 40-hex Git object id. */
function sha(seed: string) {
  return stableHex(seed, 40);
}

/** The model name of fleet member `i` (zero-padded, so names sort by index). */
export function scaleModelName(i: number): string {
  return `model-${String(i).padStart(5, '0')}`;
}

/**
 * Builds the fleet. Model `i`:
 * - dev: version 2, deployed by PR #1 (branch `deploy-2`);
 * - staging: version 2, promoted by PR #2 (`dev` → `staging`);
 * - production: version 2 promoted by PR #3, except every third model, whose
 *   production still serves the initial version 1 from the root commit.
 */
export function createScaleFleet(options: ScaleFleetOptions): ScaleFleet {
  if (!Number.isInteger(options.models) || options.models < 1) {
    throw new Error(
      `models must be a whole number of at least 1, got ${options.models}`,
    );
  }
  const driftEvery = options.driftEvery ?? 100;
  const repos = new Map<string, ScaleRepo>();
  const deployments: ScaleFleet['deployments'] = {
    dev: [],
    staging: [],
    production: [],
  };
  const mlflow = new MlflowStore();
  const models: SeedModel[] = [];
  const ids = { next: 700000 };

  for (let i = 0; i < options.models; i++) {
    const name = scaleModelName(i);
    const author = AUTHORS[i % AUTHORS.length];
    const reviewer = REVIEWERS[i % REVIEWERS.length];
    const model: SeedModel = {
      name,
      team: `team-${i % 40}`,
      operator: 'argocd',
      gates: { auc: { min: 0.85 }, latency_p95_ms: { max: 50 } },
      replicas: 1 + (i % 2),
      initial: { daysAgo: 60, version: '1', author },
      versions: ['1', '2'].map((version, v) => ({
        version,
        registeredDaysAgo: 61 - v * 30,
        metrics: {
          auc: 0.88 + v * 0.02 + (i % 7) / 1000,
          latency_p95_ms: 30 + (i % 11),
        },
        user: author,
      })),
      steps: [],
      aliases: { champion: '2' },
    };
    models.push(model);

    const fullName = `${ORG}/${name}-config`;
    const record: RepoRecord = {
      id: ids.next++,
      owner: ORG,
      name: `${name}-config`,
      fullName,
      description: `GitOps config of ${name}`,
      created_at: iso(daysAgo(60)),
      pushed_at: iso(daysAgo(20)),
      default_branch: 'dev',
      pulls: [],
      statuses: {},
      protection: {
        production: {
          required_status_checks: {
            strict: false,
            contexts: ['ml-gitops/validate'],
          },
          required_pull_request_reviews: {
            required_approving_review_count: 1,
            dismiss_stale_reviews: false,
            require_code_owner_reviews: false,
          },
          enforce_admins: false,
        },
      },
    };
    const repo: ScaleRepo = {
      record,
      model,
      commits: new Map(),
      manifests: new Map(),
      heads: {},
    };
    repos.set(fullName.toLowerCase(), repo);

    const commit = (
      seed: string,
      parents: string[],
      version: string,
      message: string,
      authorLogin: string,
      at: Date,
      committer?: { name: string; email: string },
    ) => {
      const id = sha(`${fullName}/${seed}`);
      repo.commits.set(id, {
        sha: id,
        tree: sha(`${fullName}/tree/${version}`),
        parents,
        author: sig(authorLogin, at),
        committer: committer
          ? { ...committer, date: iso(at) }
          : sig(authorLogin, at),
        message: `${message}\n`,
      });
      repo.manifests.set(id, modelYaml(model, version));
      return id;
    };
    const root = commit(
      'root',
      [],
      '1',
      `Initial config of ${name}`,
      author,
      daysAgo(60),
    );
    const pull = (
      number: number,
      title: string,
      head: { ref: string; sha: string },
      base: string,
      mergeSha: string,
      at: Date,
    ) => {
      const pr: PullRecord = {
        id: ids.next++,
        number,
        title,
        body: '',
        state: 'closed',
        user: author,
        head,
        base: { ref: base, sha: root },
        created_at: iso(new Date(at.getTime() - 3600_000)),
        updated_at: iso(at),
        closed_at: iso(at),
        merged_at: iso(at),
        merge_commit_sha: mergeSha,
        merged_by: reviewer,
        reviews: [
          {
            id: ids.next++,
            user: reviewer,
            state: 'APPROVED',
            body: 'Looks good.',
            submitted_at: iso(new Date(at.getTime() - 600_000)),
            commit_id: head.sha,
          },
        ],
        requested_reviewers: [],
        draft: false,
      };
      record.pulls.push(pr);
    };

    const deployAt = daysAgo(30, i % 600);
    const feature = commit(
      'deploy-2',
      [root],
      '2',
      `Deploy ${name} version 2`,
      author,
      new Date(deployAt.getTime() - 3600_000),
    );
    const dev = commit(
      'merge-1',
      [root, feature],
      '2',
      `Merge pull request #1 from ${ORG}/deploy-2\n\nDeploy ${name} version 2`,
      reviewer,
      deployAt,
      GITHUB_COMMITTER,
    );
    pull(
      1,
      `Deploy ${name} version 2`,
      { ref: 'deploy-2', sha: feature },
      'dev',
      dev,
      deployAt,
    );
    /** Merges the promotion PR `number` from `from` into `to`, `days` ago. */
    const promote = (
      number: number,
      from: { ref: string; sha: string },
      to: string,
      days: number,
    ) => {
      const at = daysAgo(days, i % 600);
      const title = `Promote ${name} 2 to ${to}`;
      const merge = commit(
        `merge-${number}`,
        [root, from.sha],
        '2',
        `Merge pull request #${number} from ${ORG}/${from.ref}\n\n${title}`,
        reviewer,
        at,
        GITHUB_COMMITTER,
      );
      pull(number, title, from, to, merge, at);
      return merge;
    };
    const staging = promote(2, { ref: 'dev', sha: dev }, 'staging', 25);
    const production =
      i % 3 !== 0
        ? promote(3, { ref: 'staging', sha: staging }, 'production', 20)
        : root;
    repo.heads = { dev, staging, production };

    for (const env of ENVIRONMENTS) {
      const head = repo.heads[env];
      const c = repo.commits.get(head)!;
      const version = head === root ? '1' : '2';
      const started = new Date(Date.parse(c.committer.date) + 40_000);
      const history: HistoryEntry[] = [
        {
          id: 0,
          revision: head,
          version,
          deployStartedAt: iso(started),
          deployedAt: iso(new Date(started.getTime() + 15_000)),
          initiatedBy: { automated: true },
        },
      ];
      const drifted =
        env === 'production' &&
        driftEvery > 0 &&
        version === '2' &&
        i % driftEvery === 1;
      deployments[env].push({
        model,
        env,
        operator: 'argocd',
        repo: record,
        branch: env,
        autoSync: true,
        targetRevision: head,
        targetVersion: version,
        appliedRevision: head,
        appliedVersion: version,
        driftVersion: drifted ? '1' : undefined,
        reconciledAt: history[0].deployedAt,
        history,
        operation: {
          phase: 'Succeeded',
          startedAt: history[0].deployStartedAt,
          finishedAt: history[0].deployedAt,
          revision: head,
          message: 'successfully synced (all tasks run)',
          initiatedBy: { automated: true },
        },
        nextPollAt: Number.MAX_SAFE_INTEGER,
        lastHandledReconcileAt: {},
        predictor: readyPredictor(
          version,
          1,
          started.getTime(),
          Date.parse(history[0].deployedAt),
        ),
        pendingPredictorFailures: new Map(),
        resourceVersion: 2000 + i,
      });
    }

    const experimentId = String(1000 + i);
    for (const v of model.versions) {
      mlflow.registerVersion({
        model: name,
        team: model.team,
        version: v.version,
        userEmail: USERS[v.user].email,
        registeredAt: daysAgo(v.registeredDaysAgo).getTime(),
        experimentId,
        stage: v.version === '2' ? 'Production' : 'Archived',
        aliases: v.version === '2' ? ['champion'] : [],
        description: '',
        metrics: v.metrics,
      });
    }
    mlflow.models.set(name, {
      name,
      creation_timestamp: daysAgo(61).getTime(),
      last_updated_timestamp: daysAgo(31).getTime(),
      description: `${name} — owned by ${model.team}.`,
      user_id: USERS[author].email,
      tags: [{ key: 'team', value: model.team }],
      aliases: [{ alias: 'champion', version: '2' }],
    });
  }
  return { repos, deployments, mlflow, models };
}
