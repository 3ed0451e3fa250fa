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
 * The Git host's Actions runner, emulated only as far as a config repo's
 * pull request check needs it.
 *
 * On GitHub a pull request that is opened, reopened or whose head moves
 * (`synchronize`) starts the repository's workflows whose `on.pull_request`
 * matches its base branch (docs.github.com, "Events that trigger workflows",
 * pull_request; "Workflow syntax for GitHub Actions", on.pull_request.branches
 * and types, jobs.<job_id>.name, jobs.<job_id>.steps[*].uses / run / env).
 * Each job reports on the pull request's head commit under the job's name:
 * pending while it runs, then its result; branch protection requires the
 * check by that name (docs.github.com, "About status checks").
 *
 * What this emulates, and nothing more:
 * - the workflows in .github/workflows/ at the pull request's head;
 * - `on: pull_request` with `branches` (names, `*` and `**` globs) and
 *   `types` (default opened, synchronize, reopened);
 * - in a job: `uses: actions/checkout@…` (a clone over the host's Git smart
 *   HTTP with every branch as origin/<branch>, as with fetch-depth: 0, at the
 *   pull request's head; GitHub checks out the merge commit refs/pull/N/merge,
 *   the same tree while the head is up to date with its base),
 *   `uses: actions/setup-node@…` (the sandbox's own Node) and a `run:` of
 *   `ml-gitops validate …` or `npx @ml-gitops/cli validate …`, which runs the
 *   real CLI the runner is given (packages/cli/bin/ml-gitops) as a subprocess;
 * - `${{ github.* }}`, `${{ vars.* }}`, `${{ secrets.* }}` and `${{ env.* }}`
 *   property references (a missing one is the empty string, as on GitHub),
 *   workflow, job and step `env`, and the default variables GITHUB_BASE_REF,
 *   GITHUB_HEAD_REF, GITHUB_SHA, GITHUB_REF, GITHUB_REPOSITORY….
 * A job with any other step, or an expression beyond a property reference,
 * reports an error that names what the sandbox does not emulate.
 *
 * The result is a commit status, created through the host's REST API
 * (POST /repos/{owner}/{repo}/statuses/{sha}) as a workflow does with its
 * GITHUB_TOKEN, rather than a check run: the emulated branch protection reads
 * commit statuses, and GitHub matches a required check of either kind by name.
 */

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { git, GitError, isolatedGitEnv } from '../lib/git';
import { ACTIONS_TOKEN } from '../seed/data';
import { GitRepos, PullRequestEvent, RepoRecord } from './GitRepos';
import { Urls } from './render';

export type ActionsRunnerOptions = {
  /** the `ml-gitops` executable a validate step runs (packages/cli/bin/ml-gitops) */
  cliBin: string;
  /** the repositories' variables, the `vars` context */
  variables?: () => Record<string, string>;
  /** the repositories' secrets, the `secrets` context */
  secrets?: () => Record<string, string>;
  /** where jobs check out, a fresh folder per job */
  workDir: string;
  /** a job's time limit (default 5 minutes) */
  timeoutMs?: number;
};

export type WorkflowRun = {
  id: number;
  repository: string;
  pullRequest: number;
  event: PullRequestEvent['action'];
  headSha: string;
  workflow: string;
  /** the job's name: the context of its commit status */
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  /** the state of the final commit status */
  conclusion?: 'success' | 'failure' | 'error';
  description?: string;
  log: string[];
  createdAt: string;
  completedAt?: string;
};

/**
 * The workflow's GITHUB_TOKEN: the Git host knows it as GitHub Actions' (app
 * id 15368), so the job's statuses are created by that app, as on GitHub.
 */
const GITHUB_TOKEN = ACTIONS_TOKEN;
/** GitHub refuses longer commit status descriptions. */
const DESCRIPTION_MAX = 140;

/** A job the runner cannot run, with what it does not emulate. */
export class NotEmulated extends Error {}

type Json = Record<string, any>;

type PullSnapshot = {
  number: number;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  /** The pull request's labels when the event happened. */
  labels: string[];
  /** The label a labeled or unlabeled event is about. */
  label?: string;
};

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A branch filter pattern (docs: "Filter pattern cheat sheet"), `*` and `**` only. */
function branchMatches(pattern: string, branch: string): boolean {
  const re = pattern
    .split('**')
    .map(part =>
      part
        .split('*')
        .map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${re}$`).test(branch);
}

/** Whether the workflow's `on` starts it for this pull request activity. */
function triggered(
  on: unknown,
  baseRef: string,
  action: PullRequestEvent['action'],
): boolean {
  let trigger: unknown;
  if (on === 'pull_request') trigger = {};
  else if (Array.isArray(on)) trigger = on.includes('pull_request') ? {} : null;
  else if (isObject(on) && 'pull_request' in on)
    trigger = on.pull_request ?? {};
  if (!isObject(trigger)) return false;
  const types = trigger.types ?? ['opened', 'synchronize', 'reopened'];
  if (!(Array.isArray(types) ? types : [types]).includes(action)) return false;
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map(x => String(x));
  if (trigger.branches !== undefined) {
    return list(trigger.branches).some(p => branchMatches(p, baseRef));
  }
  if (trigger['branches-ignore'] !== undefined) {
    return !list(trigger['branches-ignore']).some(p =>
      branchMatches(p, baseRef),
    );
  }
  return true;
}

/** Replaces `${{ <property reference> }}` with its value from `contexts`. */
export function substituteExpressions(text: string, contexts: Json): string {
  return text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_, expression) => {
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(expression)) {
      throw new NotEmulated(
        `the expression \${{ ${expression} }}: the sandbox evaluates property references only`,
      );
    }
    let value: unknown = contexts;
    for (const key of expression.split('.')) {
      value = isObject(value) ? value[key] : undefined;
    }
    return value === undefined || value === null ? '' : String(value);
  });
}

/**
 * Splits one shell command line into words as bash does for the simple
 * commands a PR check runs: quotes, backslashes and $NAME / ${NAME}
 * expansion from `env`; pipes, lists, redirections and command
 * substitution are not emulated.
 */
export function shellWords(line: string, env: Record<string, string>) {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const expand = () => {
    const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(line.slice(i));
    if (!m) {
      throw new NotEmulated(
        `"${line}": the sandbox expands only $NAME and \${NAME}`,
      );
    }
    word += env[m[1] ?? m[2]] ?? '';
    i += m[0].length;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new NotEmulated(`"${line}": unterminated quote`);
      word += line.slice(i + 1, end);
      i = end + 1;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) {
          word += line[i + 1];
          i += 2;
        } else if (line[i] === '$') {
          expand();
        } else if (line[i] === '`') {
          throw new NotEmulated(`"${line}": command substitution`);
        } else {
          word += line[i++];
        }
      }
      if (i >= line.length) {
        throw new NotEmulated(`"${line}": unterminated quote`);
      }
      i++;
      inWord = true;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      i += 2;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '$') {
      expand();
      inWord = true;
    } else if (/[|&;<>()`]/.test(c)) {
      throw new NotEmulated(
        `"${line}": the sandbox runs one simple command per step`,
      );
    } else if (c === '#' && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The arguments of `ml-gitops …` or `npx [options] @ml-gitops/cli[@version] …`
 * in a step's script, or undefined when the step runs something else.
 */
export function cliArguments(
  script: string,
  env: Record<string, string>,
): string[] | undefined {
  const lines = script
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(l => l && !l.startsWith('#'));
  if (lines.length !== 1) return undefined;
  const words = shellWords(lines[0], env);
  let args: string[] | undefined;
  if (words[0] === 'ml-gitops') {
    args = words.slice(1);
  } else if (words[0] === 'npx') {
    let i = 1;
    while (words[i]?.startsWith('-')) i++;
    if (/^@ml-gitops\/cli(@[^/]+)?$/.test(words[i] ?? '')) {
      args = words.slice(i + 1);
    }
  }
  return args?.find(a => !a.startsWith('-')) === 'validate' ? args : undefined;
}

/** The message of the CLI's first error annotation, or its result line. */
export function checkDescription(output: string, passed: boolean): string {
  const annotation = /^::error(?:\s[^\n]*?)?::(.*)$/m.exec(output);
  const result = /^Result: .*$/m.exec(output)?.[0];
  let text =
    (!passed && annotation
      ? annotation[1]
          .replace(/%0D/g, '\r')
          .replace(/%0A/g, '\n')
          .replace(/%25/g, '%')
          .split('\n')[0]
      : result) ?? (passed ? 'ml-gitops validate passed' : '');
  text = text.trim();
  return text.length > DESCRIPTION_MAX
    ? `${text.slice(0, DESCRIPTION_MAX - 1)}…`
    : text;
}

export class ActionsRunner {
  readonly runs: WorkflowRun[] = [];
  private queue: Promise<void> = Promise.resolve();
  private pending = new Set<Promise<void>>();
  private stopped = false;
  private lastRunId = 0;
  private readonly abort = new AbortController();

  constructor(
    repos: GitRepos,
    private readonly urls: () => Urls,
    private readonly options: ActionsRunnerOptions,
    private readonly log: (message: string) => void,
  ) {
    repos.onPullRequest(event => {
      const p = this.onPullRequest(repos, event).catch(e =>
        this.log(`actions: ${e}`),
      );
      this.pending.add(p);
      p.finally(() => this.pending.delete(p));
    });
  }

  run(id: number): WorkflowRun | undefined {
    return this.runs.find(r => r.id === id);
  }

  /** Waits until every job started so far has reported its result. */
  async idle() {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Cancels the running job and drops the queued ones. */
  async stop() {
    this.stopped = true;
    this.abort.abort();
    await this.idle().catch(() => {});
  }

  private async onPullRequest(repos: GitRepos, event: PullRequestEvent) {
    const { repo, pull, action } = event;
    if (this.stopped) return;
    const snapshot: PullSnapshot = {
      number: pull.number,
      baseRef: pull.base.ref,
      baseSha: pull.base.sha,
      headRef: pull.head.ref,
      headSha: pull.head.sha,
      labels: [...(pull.labels ?? [])],
      ...(event.label ? { label: event.label } : {}),
    };
    const jobs: Array<{ workflow: Json; job: Json; run: WorkflowRun }> = [];
    for (const { file, workflow } of await this.workflows(
      repos,
      repo,
      snapshot.headSha,
    )) {
      if (!triggered(workflow.on, snapshot.baseRef, action)) continue;
      for (const [id, job] of Object.entries(
        isObject(workflow.jobs) ? workflow.jobs : {},
      )) {
        const run: WorkflowRun = {
          id: ++this.lastRunId,
          repository: repo.fullName,
          pullRequest: snapshot.number,
          event: action,
          headSha: snapshot.headSha,
          workflow: file,
          name: isObject(job) && job.name ? String(job.name) : id,
          status: 'queued',
          log: [],
          createdAt: new Date().toISOString(),
        };
        this.runs.push(run);
        if (this.runs.length > 200) this.runs.shift();
        jobs.push({ workflow, job: isObject(job) ? job : {}, run });
      }
    }
    for (const { run } of jobs) {
      await this.report(repo, run, 'pending', 'Queued');
    }
    for (const { workflow, job, run } of jobs) {
      // one job at a time, as on a single self-hosted runner
      const done = this.queue.then(() =>
        this.execute(repo, snapshot, workflow, job, run),
      );
      this.queue = done.catch(() => {});
      await done;
    }
  }

  /** The parsed workflow files at `sha`; a file that does not parse is skipped, as GitHub does. */
  private async workflows(repos: GitRepos, repo: RepoRecord, sha: string) {
    const dir = '.github/workflows';
    const entry = await repos.entryAt(repo, sha, dir);
    if (!entry || entry.type !== 'tree') return [];
    const found: Array<{ file: string; workflow: Json }> = [];
    for (const e of await repos.tree(repo, entry.sha, false)) {
      if (e.type !== 'blob' || !/\.ya?ml$/.test(e.path)) continue;
      const file = `${dir}/${e.path}`;
      try {
        const workflow = parseYaml((await repos.blob(repo, e.sha)).toString());
        if (isObject(workflow)) found.push({ file, workflow });
      } catch (error) {
        this.log(
          `actions: ${repo.fullName} ${file} at ${sha.slice(
            0,
            7,
          )} is not a valid workflow: ${error}`,
        );
      }
    }
    return found;
  }

  private async execute(
    repo: RepoRecord,
    pull: PullSnapshot,
    workflow: Json,
    job: Json,
    run: WorkflowRun,
  ) {
    if (this.stopped) return;
    run.status = 'in_progress';
    const started = Date.now();
    await this.report(repo, run, 'pending', 'In progress');
    await fs.mkdir(this.options.workDir, { recursive: true });
    const home = await fs.mkdtemp(
      path.join(this.options.workDir, `run-${run.id}-`),
    );
    const workspace = path.join(home, 'workspace');
    await fs.mkdir(workspace);
    let state: 'success' | 'failure' | 'error' = 'success';
    let description = '';
    try {
      const contexts: Json = {
        github: {
          event_name: 'pull_request',
          ref: `refs/pull/${pull.number}/merge`,
          sha: pull.headSha,
          base_ref: pull.baseRef,
          head_ref: pull.headRef,
          repository: repo.fullName,
          repository_owner: repo.owner,
          workspace,
          run_id: String(run.id),
          server_url: this.urls().web,
          api_url: this.urls().api,
          event: {
            action: run.event,
            number: pull.number,
            ...(pull.label ? { label: { name: pull.label } } : {}),
            pull_request: {
              number: pull.number,
              head: { ref: pull.headRef, sha: pull.headSha },
              base: { ref: pull.baseRef, sha: pull.baseSha },
              labels: pull.labels.map(name => ({ name })),
            },
          },
        },
        vars: this.options.variables?.() ?? {},
        secrets: this.options.secrets?.() ?? {},
      };
      const defaults: Record<string, string> = {
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_REF: contexts.github.ref,
        GITHUB_SHA: pull.headSha,
        GITHUB_BASE_REF: pull.baseRef,
        GITHUB_HEAD_REF: pull.headRef,
        GITHUB_REPOSITORY: repo.fullName,
        GITHUB_WORKSPACE: workspace,
        GITHUB_RUN_ID: String(run.id),
        GITHUB_SERVER_URL: this.urls().web,
        GITHUB_API_URL: this.urls().api,
        RUNNER_TEMP: home,
        // The event's webhook payload as a file (docs.github.com,
        // "Variables reference": GITHUB_EVENT_PATH).
        GITHUB_EVENT_PATH: path.join(home, 'event.json'),
      };
      await fs.writeFile(
        defaults.GITHUB_EVENT_PATH,
        JSON.stringify(contexts.github.event),
      );
      const withEnv = (base: Record<string, string>, extra: unknown) => {
        const env = { ...base };
        if (isObject(extra)) {
          for (const [k, v] of Object.entries(extra)) {
            env[k] = substituteExpressions(String(v ?? ''), {
              ...contexts,
              env,
            });
          }
        }
        return env;
      };
      const jobEnv = withEnv(withEnv(defaults, workflow.env), job.env);
      const steps: Json[] = Array.isArray(job.steps) ? job.steps : [];
      let ranCli = false;
      for (const [index, step] of steps.entries()) {
        const label = step.name ?? step.uses ?? step.run ?? `step ${index + 1}`;
        const uses = typeof step.uses === 'string' ? step.uses : undefined;
        if (uses && /^actions\/checkout@/.test(uses)) {
          await this.checkout(repo, pull.headSha, workspace, run);
        } else if (uses && /^actions\/setup-node@/.test(uses)) {
          run.log.push(`${uses}: the sandbox's Node ${process.version}`);
        } else if (typeof step.run === 'string') {
          const env = withEnv(jobEnv, step.env);
          const script = substituteExpressions(step.run, {
            ...contexts,
            env,
          });
          const args = cliArguments(script, env);
          if (!args) {
            throw new NotEmulated(
              `step "${label}": the sandbox runs only ml-gitops validate`,
            );
          }
          const result = await this.runCli(args, env, workspace, run);
          ranCli = true;
          if (result.code !== 0) {
            state = 'failure';
            description =
              checkDescription(result.output, false) ||
              `ml-gitops exited with code ${result.code}`;
            break;
          }
          description = checkDescription(result.output, true);
        } else {
          throw new NotEmulated(`step "${label}" is not emulated`);
        }
      }
      if (!ranCli && state === 'success') {
        throw new NotEmulated('the job runs no ml-gitops validate step');
      }
    } catch (error) {
      state = 'error';
      description =
        error instanceof NotEmulated
          ? `Not emulated by the sandbox: ${error.message}`
          : String((error as Error)?.message ?? error);
      run.log.push(description);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
    if (this.stopped) return;
    const seconds = Math.round((Date.now() - started) / 1000);
    run.log.push(
      `${state === 'success' ? 'Successful' : 'Failing'} after ${seconds}s`,
    );
    run.status = 'completed';
    run.conclusion = state;
    run.description = description;
    run.completedAt = new Date().toISOString();
    await this.report(repo, run, state, description);
    this.log(
      `actions: ${run.name} on ${repo.fullName}#${
        pull.number
      } (${pull.headSha.slice(0, 7)}): ${state}, ${description}`,
    );
  }

  /** actions/checkout: the repository over Git smart HTTP, at the pull request's head. */
  private async checkout(
    repo: RepoRecord,
    sha: string,
    workspace: string,
    run: WorkflowRun,
  ) {
    const url = `${this.urls().web}/${repo.fullName}.git`;
    // actions/checkout authenticates with the job's token as an extra header
    await cloneAt(url, `x-access-token:${GITHUB_TOKEN}`, sha, workspace);
    run.log.push(`actions/checkout: ${url} at ${sha}`);
  }

  private runCli(
    args: string[],
    env: Record<string, string>,
    cwd: string,
    run: WorkflowRun,
  ): Promise<{ code: number; output: string }> {
    return runValidateCli(this.options.cliBin, args, env, cwd, run.log, {
      timeoutMs: this.options.timeoutMs,
      signal: this.abort.signal,
    });
  }

  /** Creates the job's commit status through the host's REST API. */
  private async report(
    repo: RepoRecord,
    run: WorkflowRun,
    state: 'pending' | 'success' | 'failure' | 'error',
    description: string,
  ) {
    const u = this.urls();
    try {
      const res = await fetch(
        `${u.api}/repos/${repo.fullName}/statuses/${run.headSha}`,
        {
          method: 'POST',
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `token ${GITHUB_TOKEN}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            state,
            context: run.name,
            description,
            target_url: `${u.web}/${repo.fullName}/actions/runs/${run.id}`,
          }),
        },
      );
      if (!res.ok) {
        this.log(
          `actions: status ${state} on ${repo.fullName}@${run.headSha}: HTTP ${
            res.status
          } ${await res.text()}`,
        );
      }
    } catch (error) {
      this.log(
        `actions: status ${state} on ${repo.fullName}@${run.headSha}: ${error}`,
      );
    }
  }
}

/**
 * Clones `url` into `workspace` (every branch as origin/<branch>, as with
 * fetch-depth: 0) and checks out `sha` detached; `credentials` (user:token)
 * go in a Basic authorization header, as CI runners send them.
 */
export async function cloneAt(
  url: string,
  credentials: string,
  sha: string,
  workspace: string,
) {
  const header = `AUTHORIZATION: basic ${Buffer.from(credentials).toString(
    'base64',
  )}`;
  try {
    await git(
      [
        '-c',
        `http.extraheader=${header}`,
        'clone',
        '--quiet',
        '--no-checkout',
        url,
        workspace,
      ],
      { cwd: path.dirname(workspace) },
    );
  } catch (e) {
    // git's own message names the command, header included: keep it out
    throw new Error(
      `git clone ${url} failed: ${String((e as GitError).stderr ?? '').trim()}`,
    );
  }
  await git(['checkout', '--quiet', '--detach', sha], { cwd: workspace });
}

/** Runs the `ml-gitops` CLI with `args` in `cwd`; its output goes to `log`. */
export function runValidateCli(
  cliBin: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  log: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ code: number; output: string }> {
  log.push(`$ ml-gitops ${args.join(' ')}`);
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [cliBin, ...args],
      {
        cwd,
        env: { ...isolatedGitEnv({ HOME: path.dirname(cwd) }), ...env },
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 16 * 1024 * 1024,
        signal: options.signal,
      },
      (error, stdout, stderr) => {
        const code = error
          ? Number(
              typeof (error as { code?: unknown }).code === 'number'
                ? (error as { code: number }).code
                : 1,
            )
          : 0;
        const output = `${stdout}${stderr}`;
        log.push(output.replace(/\n$/, ''), `exit code ${code}`);
        resolve({ code, output });
      },
    );
  });
}
