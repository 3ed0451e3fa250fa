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
 * GitLab CI/CD, emulated only as far as a config repo's merge request check
 * needs it, with the validate step of the GitHub emulator's Actions runner
 * (githost/actions.ts: cloneAt, runValidateCli, cliArguments).
 *
 * When a merge request is opened or its source branch moves, GitLab runs a
 * merge request pipeline from `.gitlab-ci.yml` at the head
 * (docs.gitlab.com/ci/pipelines/merge_request_pipelines): the jobs whose
 * `rules` include `if: $CI_PIPELINE_SOURCE == "merge_request_event"`, on the
 * ref `refs/merge-requests/<iid>/head`, with the predefined variables
 * (docs.gitlab.com/ci/variables/predefined_variables:
 * CI_MERGE_REQUEST_TARGET_BRANCH_NAME, CI_COMMIT_SHA, …), the project's
 * CI/CD variables and the job's `variables`; the values of masked
 * variables and of CI_JOB_TOKEN show as `[MASKED]` in the job log
 * (docs.gitlab.com/ci/variables, "Mask a CI/CD variable"). "Run pipeline"
 * on a merge request runs a new pipeline on the same head
 * (`runPipeline`). The job clones the project
 * over HTTP as `gitlab-ci-token` with its job token. Each `script` line
 * must be `ml-gitops validate …`, `npx @ml-gitops/cli validate …` or `git
 * fetch …` (run by git itself, with the job token, as the template's
 * `.gitlab-ci.yml` fetches the target branch); any other line or rule
 * makes the job fail with what is not emulated.
 */

import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  checkDescription,
  cliArguments,
  cloneAt,
  NotEmulated,
  runValidateCli,
  shellWords,
} from '../githost/actions';
import { git, GitError } from '../lib/git';
import { GitLabHost, MergeRequestEvent } from './GitLabHost';
import { fullPath, GlPipeline, GlProject } from './model';

export type PipelineRunnerOptions = {
  cliBin: string;
  /** the project's CI/CD variables */
  variables?: () => Record<string, string>;
  /** names of those variables that are masked */
  masked?: string[];
  workDir: string;
  timeoutMs?: number;
  /** a token the job clones with (acts as the pipeline's user) */
  jobToken: string;
};

type Json = Record<string, any>;

/** Keywords that are not jobs at the top of .gitlab-ci.yml (docs.gitlab.com/ci/yaml). */
const GLOBAL_KEYWORDS = new Set([
  'default',
  'include',
  'stages',
  'variables',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
]);

const MR_RULE = /^\$CI_PIPELINE_SOURCE\s*==\s*["']merge_request_event["']$/;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class PipelineRunner {
  private queue: Promise<void> = Promise.resolve();
  private pending = new Set<Promise<void>>();
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly host: GitLabHost,
    private readonly options: PipelineRunnerOptions,
    private readonly log: (message: string) => void,
  ) {
    host.onMergeRequest(({ project, mr }) => this.runPipeline(project, mr));
  }

  async idle() {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async stop() {
    this.stopped = true;
    this.abort.abort();
    await this.idle().catch(() => {});
  }

  /**
   * A merge request pipeline on the merge request's head: on open and push,
   * and as "Run pipeline" on the merge request does.
   */
  runPipeline(project: GlProject, mr: MergeRequestEvent['mr']) {
    const p = this.onMergeRequest({ project, mr, action: 'update' }).catch(e =>
      this.log(`gitlab ci: ${e}`),
    );
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  private async onMergeRequest({ project, mr }: MergeRequestEvent) {
    if (this.stopped) return;
    const sha = mr.sha;
    const config = await this.config(project, sha);
    if (!config) return;
    const jobs = Object.entries(config).filter(
      ([name, job]) =>
        !GLOBAL_KEYWORDS.has(name) && !name.startsWith('.') && isObject(job),
    );
    const bot = this.host.userByToken(this.options.jobToken)!;
    const pipeline = this.host.createPipeline(project, {
      sha,
      ref: `refs/merge-requests/${mr.iid}/head`,
      source: 'merge_request_event',
      userId: bot.id,
      mrIid: mr.iid,
    });
    const selected: Array<[string, Json]> = [];
    for (const [name, job] of jobs) {
      const run = this.runsOnMergeRequests(job as Json);
      if (run === true) selected.push([name, job as Json]);
      else if (typeof run === 'string') {
        this.host.setJob(pipeline, name, 'failed', {
          author_id: bot.id,
          description: `Not emulated by the sandbox: ${run}`,
        });
      }
    }
    if (!selected.length && !pipeline.jobs.length) {
      pipeline.status = 'skipped';
      return;
    }
    for (const [name] of selected) {
      this.host.setJob(pipeline, name, 'pending', { author_id: bot.id });
    }
    for (const [name, job] of selected) {
      const done = this.queue.then(() =>
        this.execute(project, pipeline, mr.iid, mr, config, name, job),
      );
      this.queue = done.catch(() => {});
      await done;
    }
  }

  /** true, false (not on merge requests) or what is not emulated. */
  private runsOnMergeRequests(job: Json): boolean | string {
    if (job.rules === undefined) return false;
    if (!Array.isArray(job.rules)) return 'rules that are not a list';
    for (const rule of job.rules) {
      if (!isObject(rule) || typeof rule.if !== 'string') {
        return 'rules other than `if: $CI_PIPELINE_SOURCE == "merge_request_event"`';
      }
      if (MR_RULE.test(rule.if.trim())) return rule.when !== 'never';
    }
    return false;
  }

  private async config(project: GlProject, sha: string) {
    const content = await this.host.repos.readFile(
      project.repo,
      sha,
      '.gitlab-ci.yml',
    );
    if (!content) return undefined;
    try {
      const parsed = parseYaml(content.toString('utf8'));
      return isObject(parsed) ? parsed : undefined;
    } catch (e) {
      this.log(`gitlab ci: ${fullPath(project)} .gitlab-ci.yml: ${e}`);
      return undefined;
    }
  }

  private async execute(
    project: GlProject,
    pipeline: GlPipeline,
    iid: number,
    mr: {
      source_branch: string;
      target_branch: string;
      title: string;
      labels: string[];
    },
    config: Json,
    name: string,
    job: Json,
  ) {
    if (this.stopped) return;
    const bot = this.host.userByToken(this.options.jobToken)!;
    const log: string[] = [];
    this.host.setJob(pipeline, name, 'running', { author_id: bot.id, log });
    await fs.mkdir(this.options.workDir, { recursive: true });
    const home = await fs.mkdtemp(
      path.join(this.options.workDir, `job-${pipeline.id}-`),
    );
    const dir = path.join(home, 'project');
    let status: 'success' | 'failed' = 'success';
    let description = '';
    try {
      const base = this.host.baseUrl();
      const env: Record<string, string> = {
        CI: 'true',
        GITLAB_CI: 'true',
        CI_PIPELINE_SOURCE: 'merge_request_event',
        CI_PIPELINE_ID: String(pipeline.id),
        CI_COMMIT_SHA: pipeline.sha,
        CI_COMMIT_REF_NAME: mr.source_branch,
        CI_MERGE_REQUEST_IID: String(iid),
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: mr.source_branch,
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: mr.target_branch,
        CI_MERGE_REQUEST_TITLE: mr.title,
        CI_PROJECT_ID: String(project.id),
        CI_PROJECT_PATH: fullPath(project),
        CI_JOB_TOKEN: this.options.jobToken,
        // set only when the merge request has labels
        ...(mr.labels.length
          ? { CI_MERGE_REQUEST_LABELS: mr.labels.join(',') }
          : {}),
        CI_PROJECT_DIR: dir,
        CI_SERVER_URL: base,
        CI_API_V4_URL: `${base}/api/v4`,
        CI_JOB_NAME: name,
        ...this.options.variables?.(),
      };
      for (const scope of [config.variables, job.variables]) {
        if (isObject(scope)) {
          for (const [k, v] of Object.entries(scope)) {
            env[k] = String(isObject(v) ? v.value ?? '' : v ?? '');
          }
        }
      }
      const url = `${base}/${fullPath(project)}.git`;
      await cloneAt(
        url,
        `gitlab-ci-token:${this.options.jobToken}`,
        pipeline.sha,
        dir,
      );
      log.push(`Fetching ${url} at ${pipeline.sha}`);
      const script: unknown[] = Array.isArray(job.script)
        ? job.script
        : [job.script];
      if (!script.length || script.some(l => typeof l !== 'string')) {
        throw new NotEmulated('a script that is not a list of lines');
      }
      for (const line of script as string[]) {
        const fetch = shellWords(line.trim(), env);
        if (fetch[0] === 'git' && fetch[1] === 'fetch') {
          await fetchWithJobToken(
            dir,
            fetch.slice(2),
            `gitlab-ci-token:${this.options.jobToken}`,
          );
          log.push(`$ ${line.trim()}`);
          continue;
        }
        const args = cliArguments(line, env);
        if (!args) {
          throw new NotEmulated(
            `script line "${line}": the sandbox runs only ml-gitops validate`,
          );
        }
        const result = await runValidateCli(
          this.options.cliBin,
          args,
          env,
          dir,
          log,
          { timeoutMs: this.options.timeoutMs, signal: this.abort.signal },
        );
        if (result.code !== 0) {
          status = 'failed';
          description =
            checkDescription(result.output, false) ||
            `ml-gitops exited with code ${result.code}`;
          break;
        }
        description = checkDescription(result.output, true);
      }
    } catch (error) {
      status = 'failed';
      description =
        error instanceof NotEmulated
          ? `Not emulated by the sandbox: ${error.message}`
          : String((error as Error)?.message ?? error);
      log.push(description);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
    if (this.stopped) return;
    log.push(status === 'success' ? 'Job succeeded' : 'ERROR: Job failed');
    const variables = this.options.variables?.() ?? {};
    const secrets = [
      this.options.jobToken,
      ...(this.options.masked ?? []).map(key => variables[key]),
    ].filter((v): v is string => Boolean(v));
    log.splice(
      0,
      log.length,
      ...log.map(line =>
        secrets.reduce((l, secret) => l.split(secret).join('[MASKED]'), line),
      ),
    );
    this.host.setJob(pipeline, name, status, {
      author_id: bot.id,
      description,
      log,
    });
    this.log(
      `gitlab ci: ${name} on ${fullPath(project)}!${iid} (${pipeline.sha.slice(
        0,
        7,
      )}): ${status}, ${description}`,
    );
  }
}

/** `git fetch <args>` in the job's clone, authenticated as the job. */
async function fetchWithJobToken(
  dir: string,
  args: string[],
  credentials: string,
) {
  const header = `AUTHORIZATION: basic ${Buffer.from(credentials).toString(
    'base64',
  )}`;
  try {
    await git(['-c', `http.extraheader=${header}`, 'fetch', ...args], {
      cwd: dir,
    });
  } catch (e) {
    // git's own message names the command, header included: keep it out
    throw new Error(
      `git fetch ${args.join(' ')} failed: ${String(
        (e as GitError).stderr ?? '',
      ).trim()}`,
    );
  }
}
