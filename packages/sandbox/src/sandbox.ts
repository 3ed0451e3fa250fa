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
import os from 'node:os';
import path from 'node:path';
import { ArgoCdApi, sendArgoError } from './argocd/ArgoCdApi';
import { ArgoCdFieldsVersion } from './argocd/listFields';
import { GitHubApi, sendGitHubError } from './githost/GitHubApi';
import { GitRepos } from './githost/GitRepos';
import { matchSmartHttp, serveSmartHttp } from './githost/smartHttp';
import { WebhookSender } from './githost/webhooks';
import { ActionsRunner, WorkflowRun } from './githost/actions';
import { KubeApi } from './kube/KubeApi';
import {
  EmulatorServer,
  Fault,
  readJson,
  BadJsonError,
  sendJson,
  Router,
} from './lib/http';
import { LiveDeployment, World } from './live/World';
import {
  ANALYSIS_PHASES,
  SandboxCanary,
  setCanary as setWorldCanary,
} from './live/canary';
import {
  PREDICTOR_FAILURE_REASONS,
  PredictorFailure,
  PredictorFailureReason,
} from './live/predictor';
import { MlflowApi, MlflowStore } from './mlflow/MlflowApi';
import { KubeflowApi, sendKubeflowError } from './kubeflow/KubeflowApi';
import { KubeflowStore } from './kubeflow/KubeflowStore';
import { SealedSecretsController } from './sealedSecrets/SealedSecretsController';
import { seedGit } from './seed/seedGit';
import { GitLabApi } from './gitlab/GitLabApi';
import { GitLabError, GitLabHost } from './gitlab/GitLabHost';
import { GITLAB_BOT_TOKEN } from './gitlab/model';
import { PipelineRunner } from './gitlab/pipelines';
import { GITLAB_GROUP, GITLAB_MODEL, seedGitLab } from './gitlab/seed';
import { GitLabWebhookSender } from './gitlab/webhooks';
import { GitHosts } from './live/GitHosts';
import { MODELS, ORG } from './seed/data';
import { serveGitLabWeb } from './gitlab/web';

export type SystemName =
  | 'git'
  | 'argocd'
  | 'kubernetes'
  | 'mlflow'
  | 'kubeflow'
  | 'gitlab';
export const SYSTEMS: SystemName[] = [
  'git',
  'argocd',
  'kubernetes',
  'mlflow',
  'kubeflow',
  'gitlab',
];

export const DEFAULT_PORTS: Record<SystemName | 'admin', number> = {
  git: 7010,
  argocd: 7011,
  kubernetes: 7012,
  mlflow: 7013,
  admin: 7014,
  /** the Kubeflow Model Registry's REST service */
  kubeflow: 7016,
  gitlab: 7015,
};

/** Credentials the sandbox accepts. Not secrets: they exist only here. */
export const SANDBOX_CREDENTIALS = {
  argocd: {
    username: 'admin',
    password: 'sandbox-password',
    token: 'sandbox-argocd-token',
  },
  kubernetes: { token: 'sandbox-kube-token' },
  /** MLflow's basic-auth app, when switched on: a user with EDIT. */
  mlflow: { username: 'sandbox-mlflow', password: 'sandbox-mlflow-password' },
  /** the bearer token the Kubeflow Model Registry's auth proxy accepts */
  kubeflow: { token: 'sandbox-kubeflow-token' },
  /**
   * GitLab: the bot user `ml-gitops-bot`'s token (what Backstage uses); each
   * seeded person has `sandbox-gitlab-<username>-token` (gitlab/model.ts).
   */
  gitlab: { token: GITLAB_BOT_TOKEN },
};

export type SandboxOptions = {
  /**
   * ports per system; 0 = any free port (tests). A system left out gets its
   * default port, or any free port when every port given is 0.
   */
  ports?: Partial<Record<SystemName | 'admin', number>>;
  /** where the bare repositories live; default: a fresh temporary directory */
  dataDir?: string;
  /** where push webhooks go (e.g. http://localhost:7007/api/events/http/github) */
  webhookUrl?: string;
  webhookSecret?: string;
  /** where GitLab's push webhooks go (e.g. http://localhost:7007/api/events/http/gitlab), with this secret token */
  gitlabWebhookUrl?: string;
  gitlabWebhookSecret?: string;
  /** operator poll interval (default 120 s) and jitter (default 0 in the API, 60 s from the CLI) */
  reconcileIntervalSeconds?: number;
  reconcileJitterSeconds?: number;
  /**
   * How long KServe takes to roll a newly applied model version out: the
   * InferenceService reports the rollout (Ready Unknown, model Loading)
   * until then. Default 3 s; 0 = at once.
   */
  rolloutSeconds?: number;
  /** seed the out-of-band drift (default true) */
  drift?: boolean;
  /** the Argo CD release whose `fields` list the emulator answers with (default 3.1) */
  argocdVersion?: ArgoCdFieldsVersion;
  log?: (message: string) => void;
  /** one log line per request */
  logRequests?: boolean;
  /**
   * MLflow answers as its basic-auth app does (`mlflow server --app-name
   * basic-auth`): HTTP Basic with SANDBOX_CREDENTIALS.mlflow. Default off,
   * so the demo stays open.
   */
  mlflowBasicAuth?: boolean;
  /**
   * Runs the config repos' pull request check (githost/actions.ts): on a pull
   * request opened, reopened or moved, the `ml-gitops validate` step of its
   * workflow runs this CLI and reports the commit status. Default off.
   * `variables` and `secrets` are the workflow's `vars` and `secrets`;
   * vars.ML_GITOPS_REGISTRY_URL defaults to the sandbox's MLflow.
   */
  actions?: {
    cliBin: string;
    variables?: Record<string, string>;
    secrets?: Record<string, string>;
  };
};

export type Sandbox = {
  urls: Record<SystemName | 'admin', string> & { gitApi: string };
  ports: Record<SystemName | 'admin', number>;
  dataDir: string;
  setFault(system: SystemName, fault: Fault): Promise<void>;
  setDrift(model: string, environment: string, version: string | null): void;
  setReconcileInterval(seconds: number, jitterSeconds?: number): void;
  setAutoSync(model: string, environment: string, enabled: boolean): void;
  /**
   * Makes Flux's applies of a Flux-managed deployment fail with a Ready
   * condition reason and message (e.g. HealthCheckFailed); null lets them
   * succeed again.
   */
  setFluxFailure(
    model: string,
    environment: string,
    failure: { reason: string; message: string } | null,
  ): void;
  /** how long the next rollouts of a model version take (kept across resets) */
  setRolloutSeconds(seconds: number): void;
  /**
   * The predictor of a deployment fails from now on (its container
   * crash-loops); a rollout under way ends failed.
   */
  failServing(
    model: string,
    environment: string,
    failure?: Partial<PredictorFailure>,
  ): void;
  /** The next rollout of `version` (null: of any version) fails. */
  failNextRollout(
    model: string,
    environment: string,
    version: string | null,
    failure?: Partial<PredictorFailure>,
  ): void;
  /** Clears a deployment's predictor failure and the ones waiting for a rollout. */
  recoverServing(model: string, environment: string): void;
  /** sets the canary analysis of a deployment; null removes it */
  setCanary(
    model: string,
    environment: string,
    canary: SandboxCanary | null,
  ): void;
  setWebhook(config: { url?: string; secret?: string }): void;
  /** where GitLab's push webhooks go, and their secret token */
  setGitlabWebhook(config: { url?: string; secret?: string }): void;
  /** switches MLflow's basic-auth app on or off (kept across resets) */
  setMlflowBasicAuth(enabled: boolean): void;
  /**
   * how MLflow registers new versions: READY at once, or
   * PENDING_REGISTRATION until completeMlflowRegistration (kept across resets)
   */
  setMlflowRegistration(mode: 'ready' | 'pending'): void;
  completeMlflowRegistration(
    model: string,
    version: string,
    status: 'READY' | 'FAILED_REGISTRATION',
    message?: string,
  ): void;
  /** waits for the webhook deliveries under way */
  webhooksIdle(): Promise<void>;
  /** waits until the Actions jobs started so far have reported */
  actionsIdle(): Promise<void>;
  actionsRuns(): WorkflowRun[];
  webhookDeliveries(): WebhookSender['deliveries'];
  /** the push webhooks the GitLab emulator sent */
  gitlabWebhookDeliveries(): GitLabWebhookSender['deliveries'];
  reset(): Promise<void>;
  state(): Promise<unknown>;
  stop(): Promise<void>;
  /** internals, for tests */
  current(): SandboxState;
  /**
   * The cluster's Sealed Secrets controller; its key pair is made at start
   * and kept (in memory only) across resets.
   */
  sealedSecrets: SealedSecretsController;
};

export type SandboxState = {
  repos: GitRepos;
  world: World;
  mlflow: MlflowStore;
  webhooks: WebhookSender;
  actions?: ActionsRunner;
  github: GitHubApi;
  argocd: ArgoCdApi;
  kube: KubeApi;
  mlflowApi: MlflowApi;
  kubeflow: KubeflowStore;
  kubeflowApi: KubeflowApi;
  gitlab: GitLabHost;
  gitlabApi: GitLabApi;
  gitlabCi?: PipelineRunner;
  gitlabWebhooks: GitLabWebhookSender;
};

export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const log = options.log ?? ((m: string) => console.log(`[sandbox] ${m}`));
  const dataDir =
    options.dataDir ??
    (await fs.mkdtemp(path.join(os.tmpdir(), 'ml-gitops-sandbox-')));
  await fs.mkdir(dataDir, { recursive: true });
  await removeStaleData(dataDir);
  const webhookConfig: { url?: string; secret?: string } = {
    url: options.webhookUrl,
    secret: options.webhookSecret,
  };
  const gitlabWebhookConfig = {
    url: options.gitlabWebhookUrl,
    secret: options.gitlabWebhookSecret,
  };
  const interval = {
    seconds: options.reconcileIntervalSeconds ?? 120,
    jitter: options.reconcileJitterSeconds ?? 0,
  };
  const serving = { rolloutSeconds: options.rolloutSeconds ?? 3 };
  if (!(serving.rolloutSeconds >= 0)) {
    throw new Error(
      `rolloutSeconds must be a number of seconds, 0 or more (got ${options.rolloutSeconds})`,
    );
  }
  const ports = sandboxPorts(options.ports);
  const sealedSecrets = await SealedSecretsController.create();

  // eslint-disable-next-line prefer-const -- assigned once, after the closures that read it
  let servers: Record<SystemName | 'admin', EmulatorServer>;
  const gitUrls = () => ({
    web: servers.git.url,
    api: `${servers.git.url}/api/v3`,
  });
  let generation = 0;
  let template:
    | { dir: string; snapshot: ReturnType<GitRepos['snapshot']> }
    | undefined;
  let state: SandboxState;

  const mlflowUsers = {
    users: [{ ...SANDBOX_CREDENTIALS.mlflow, permission: 'EDIT' as const }],
  };
  const mlflowSettings = {
    basicAuth: options.mlflowBasicAuth ?? false,
    registration: 'ready' as 'ready' | 'pending',
  };
  const build = async (): Promise<SandboxState> => {
    generation++;
    const gitRoot = path.join(dataDir, `git-${process.pid}-${generation}`);
    await fs.rm(gitRoot, { recursive: true, force: true });
    const repos = new GitRepos(gitRoot);
    if (template) {
      // the seed is deterministic: later resets copy the first one
      await fs.cp(template.dir, gitRoot, { recursive: true });
      repos.restore(template.snapshot);
    } else {
      await seedGit(
        repos,
        path.join(dataDir, `work-${process.pid}-${generation}`),
      );
      const dir = path.join(dataDir, `git-${process.pid}-0`);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.cp(gitRoot, dir, { recursive: true });
      template = { dir, snapshot: repos.snapshot() };
    }
    const gitlab = new GitLabHost(
      GitLabHost.repositories(
        path.join(dataDir, `gitlab-${process.pid}-${generation}`),
      ),
      () => servers.gitlab.url,
    );
    const gitlabWork = path.join(dataDir, `work-${process.pid}-${generation}`);
    await seedGitLab(gitlab, gitlabWork);
    await fs.rm(gitlabWork, { recursive: true, force: true });
    const hosts = new GitHosts([
      { name: 'github', repos, baseUrl: () => servers.git.url },
      {
        name: 'gitlab',
        repos: gitlab.repos,
        baseUrl: () => servers.gitlab.url,
      },
    ]);
    const world = new World(hosts, {
      reconcileIntervalSeconds: interval.seconds,
      jitterSeconds: interval.jitter,
      rolloutSeconds: serving.rolloutSeconds,
      log,
      sealedSecrets,
    });
    await world.init(options.drift ?? true, [
      ...MODELS.map(model => ({
        model,
        repo: repos.get(ORG, `${model.name}-config`),
      })),
      {
        model: GITLAB_MODEL,
        repo: gitlab.repos.get(GITLAB_GROUP, `${GITLAB_MODEL.name}-config`),
      },
    ]);
    const mlflow = MlflowStore.seed();
    const kubeflow = KubeflowStore.seed();
    mlflow.registrationMode = mlflowSettings.registration;
    const webhooks = new WebhookSender(repos, gitUrls, webhookConfig, log);
    const gitlabWebhooks = new GitLabWebhookSender(
      gitlab,
      gitlabWebhookConfig,
      log,
    );
    const actionsOptions = options.actions;
    const actions =
      actionsOptions &&
      new ActionsRunner(
        repos,
        gitUrls,
        {
          cliBin: actionsOptions.cliBin,
          workDir: path.join(dataDir, `actions-${process.pid}-${generation}`),
          variables: () => ({
            ML_GITOPS_REGISTRY_URL: servers.mlflow.url,
            ...actionsOptions.variables,
          }),
          secrets: () => ({ ...actionsOptions.secrets }),
        },
        log,
      );
    const gitlabCi =
      actionsOptions &&
      new PipelineRunner(
        gitlab,
        {
          cliBin: actionsOptions.cliBin,
          workDir: path.join(dataDir, `actions-${process.pid}-${generation}`),
          jobToken: GITLAB_BOT_TOKEN,
          // the project's CI/CD variables: its model's registry is the
          // Kubeflow Model Registry, reached with its bearer token; the
          // check reads merge request approvals with GITLAB_TOKEN (read_api)
          variables: () => ({
            ML_GITOPS_REGISTRY_URL: servers.kubeflow.url,
            ML_GITOPS_REGISTRY_TYPE: 'kubeflow',
            ML_GITOPS_REGISTRY_TOKEN: SANDBOX_CREDENTIALS.kubeflow.token,
            GITLAB_TOKEN: SANDBOX_CREDENTIALS.gitlab.token,
            ...actionsOptions.variables,
          }),
          masked: ['ML_GITOPS_REGISTRY_TOKEN', 'GITLAB_TOKEN'],
        },
        log,
      );
    return {
      repos,
      world,
      mlflow,
      webhooks,
      actions,
      gitlab,
      gitlabApi: new GitLabApi(gitlab),
      gitlabCi,
      gitlabWebhooks,
      github: new GitHubApi(repos, gitUrls),
      argocd: new ArgoCdApi(world, SANDBOX_CREDENTIALS.argocd, {
        version: options.argocdVersion,
      }),
      kube: new KubeApi(world, SANDBOX_CREDENTIALS.kubernetes.token, [
        sealedSecrets,
      ]),
      mlflowApi: new MlflowApi(mlflow, () => servers.mlflow.url, {
        auth: mlflowSettings.basicAuth ? mlflowUsers : undefined,
      }),
      kubeflow,
      kubeflowApi: new KubeflowApi(
        kubeflow,
        SANDBOX_CREDENTIALS.kubeflow.token,
      ),
    };
  };

  state = await build();

  const ghUnauthorized = (res: any) =>
    sendGitHubError(res, 401, 'Bad credentials');
  servers = {
    git: new EmulatorServer({
      name: 'git',
      logRequests: options.logRequests,
      port: ports.git,
      log,
      handler: async (req, res, url) => {
        if (url.pathname === '/api/graphql') {
          await state.github.graphql.handle(req, res);
          return;
        }
        if (url.pathname.startsWith('/api/v3/') || url.pathname === '/api/v3') {
          await state.github.handle(
            req,
            res,
            url,
            url.pathname.slice('/api/v3'.length) || '/',
          );
          return;
        }
        const runPage = /^\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/.exec(
          url.pathname,
        );
        const run = runPage
          ? state.actions?.run(Number(runPage[3]))
          : undefined;
        if (runPage && run?.repository === `${runPage[1]}/${runPage[2]}`) {
          // the run's page: its log, as plain text
          req.resume();
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(
            `${run.name} on pull request #${run.pullRequest} (${run.event}, ${
              run.headSha
            }): ${run.conclusion ?? run.status}\n\n${run.log.join('\n')}\n`,
          );
          return;
        }
        const smart = matchSmartHttp(url.pathname);
        const repo = smart && state.repos.get(smart.owner, smart.repo);
        if (smart && repo) {
          await serveSmartHttp(state.repos, repo, smart.service, req, res, url);
          return;
        }
        req.resume();
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(smart ? 'Repository not found.\n' : 'Not Found\n');
      },
      unauthorized: ghUnauthorized,
      unavailable: res =>
        sendGitHubError(
          res,
          503,
          'Service Unavailable',
          'https://docs.github.com/rest',
        ),
      internalError: res => sendGitHubError(res, 500, 'Server Error'),
    }),
    argocd: new EmulatorServer({
      name: 'argocd',
      logRequests: options.logRequests,
      port: ports.argocd,
      log,
      handler: (req, res, url) => state.argocd.handle(req, res, url),
      unauthorized: res =>
        sendArgoError(
          res,
          401,
          16,
          'invalid session: token signature is invalid',
        ),
      unavailable: res =>
        sendArgoError(
          res,
          503,
          14,
          'connection error: desc = "transport: Error while dialing: dial tcp: connect: connection refused"',
        ),
      internalError: (res, e) =>
        sendArgoError(res, 500, 2, String((e as Error)?.message ?? e)),
    }),
    kubernetes: new EmulatorServer({
      name: 'kubernetes',
      logRequests: options.logRequests,
      port: ports.kubernetes,
      log,
      handler: (req, res, url) => state.kube.handle(req, res, url),
      unauthorized: res =>
        sendJson(res, 401, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      unavailable: res =>
        sendJson(res, 503, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'the server is currently unable to handle the request',
          reason: 'ServiceUnavailable',
          code: 503,
        }),
      internalError: (res, e) =>
        sendJson(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: String((e as Error)?.message ?? e),
          reason: 'InternalError',
          code: 500,
        }),
    }),
    mlflow: new EmulatorServer({
      name: 'mlflow',
      logRequests: options.logRequests,
      port: ports.mlflow,
      log,
      handler: (req, res, url) => state.mlflowApi.handle(req, res, url),
      unauthorized: res => {
        res.writeHead(401, {
          'content-type': 'text/plain',
          'www-authenticate': 'Basic realm="mlflow"',
        });
        res.end(
          'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
        );
      },
      unavailable: res => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html><body><h1>503 Service Unavailable</h1></body></html>');
      },
      internalError: (res, e) =>
        sendJson(res, 500, {
          error_code: 'INTERNAL_ERROR',
          message: String((e as Error)?.message ?? e),
        }),
    }),
    kubeflow: new EmulatorServer({
      name: 'kubeflow',
      logRequests: options.logRequests,
      port: ports.kubeflow,
      log,
      handler: (req, res, url) => state.kubeflowApi.handle(req, res, url),
      unauthorized: res =>
        sendKubeflowError(res, 401, 'the bearer token is not valid'),
      unavailable: res =>
        sendKubeflowError(res, 503, 'the model registry is unavailable'),
      internalError: (res, e) =>
        sendKubeflowError(res, 500, String((e as Error)?.message ?? e)),
    }),
    gitlab: new EmulatorServer({
      name: 'gitlab',
      logRequests: options.logRequests,
      port: ports.gitlab,
      log,
      handler: (req, res, url) =>
        serveGitLabWeb(state.gitlab, state.gitlabApi, req, res, url),
      unauthorized: res => sendJson(res, 401, { message: '401 Unauthorized' }),
      unavailable: res => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('GitLab is not responding\n');
      },
      internalError: res =>
        sendJson(res, 500, { message: '500 Internal Server Error' }),
    }),
    admin: undefined as unknown as EmulatorServer,
  };

  const findDeployment = (model: string, environment: string) => {
    const d = state.world.find(model, environment);
    if (!d) throw new Error(`unknown deployment ${model}/${environment}`);
    return d;
  };
  const predictorFailure = (
    model: string,
    version: string | undefined,
    failure: Partial<PredictorFailure> = {},
  ): PredictorFailure => {
    const reason: PredictorFailureReason = failure.reason ?? 'ModelLoadFailed';
    const what = version
      ? `models:/${model}/${version}`
      : `the model of ${model}`;
    return {
      reason,
      message:
        failure.message ??
        (reason === 'ModelLoadFailed'
          ? `the model server exited while loading ${what}`
          : 'the serving runtime exited: liveness probe failed'),
      exitCode: failure.exitCode ?? 1,
    };
  };

  const sandbox: Sandbox = {
    urls: undefined as unknown as Sandbox['urls'],
    ports: undefined as unknown as Sandbox['ports'],
    dataDir,
    async setFault(system, fault) {
      await servers[system].setFault(fault);
      log(
        `${system}: fault ${fault.mode}${
          fault.mode === 'slow' ? ` ${fault.delayMs} ms` : ''
        }`,
      );
    },
    setDrift(model, environment, version) {
      state.world.setDrift(
        findDeployment(model, environment),
        version ?? undefined,
      );
    },
    setReconcileInterval(seconds, jitterSeconds) {
      interval.seconds = seconds;
      if (jitterSeconds !== undefined) interval.jitter = jitterSeconds;
      state.world.setReconcileInterval(seconds, jitterSeconds);
    },
    setFluxFailure(model, environment, failure) {
      state.world.setFluxFailure(
        findDeployment(model, environment),
        failure ?? undefined,
      );
    },
    setAutoSync(model, environment, enabled) {
      const d = findDeployment(model, environment);
      d.autoSync = enabled;
      d.resourceVersion = state.world.nextResourceVersion();
    },
    setRolloutSeconds(seconds) {
      if (!(seconds >= 0)) {
        throw new Error('seconds must be a number, 0 or more');
      }
      serving.rolloutSeconds = seconds;
      state.world.options.rolloutSeconds = seconds;
    },
    failServing(model, environment, failure) {
      const d = findDeployment(model, environment);
      state.world.failServing(
        d,
        predictorFailure(model, d.predictor?.version, failure),
      );
    },
    failNextRollout(model, environment, version, failure) {
      const d = findDeployment(model, environment);
      state.world.failNextRollout(
        d,
        version ?? '*',
        predictorFailure(model, version ?? undefined, failure),
      );
    },
    recoverServing(model, environment) {
      state.world.recoverServing(findDeployment(model, environment));
    },
    setCanary(model, environment, canary) {
      setWorldCanary(
        state.world,
        findDeployment(model, environment),
        canary ?? undefined,
      );
    },
    setWebhook(config) {
      if ('url' in config) webhookConfig.url = config.url;
      if ('secret' in config) webhookConfig.secret = config.secret;
    },
    setGitlabWebhook(config) {
      if ('url' in config) gitlabWebhookConfig.url = config.url;
      if ('secret' in config) gitlabWebhookConfig.secret = config.secret;
    },
    setMlflowBasicAuth(enabled) {
      mlflowSettings.basicAuth = enabled;
      state.mlflowApi.setAuth(enabled ? mlflowUsers : undefined);
    },
    setMlflowRegistration(mode) {
      mlflowSettings.registration = mode;
      state.mlflow.registrationMode = mode;
    },
    completeMlflowRegistration(model, version, status, message) {
      state.mlflow.completeRegistration(model, version, status, message);
    },
    webhooksIdle: async () => {
      await state.webhooks.idle();
      await state.gitlabWebhooks.idle();
    },
    actionsIdle: async () => {
      await state.actions?.idle();
      await state.gitlabCi?.idle();
    },
    actionsRuns: () => state.actions?.runs ?? [],
    webhookDeliveries: () => state.webhooks.deliveries,
    gitlabWebhookDeliveries: () => state.gitlabWebhooks.deliveries,
    async reset() {
      const old = state;
      old.world.stop();
      old.kube.watches.stop();
      old.argocd.stream.stop();
      await old.actions?.stop();
      await old.gitlabCi?.stop();
      state = await build();
      state.world.start();
      await fs.rm(old.repos.root, { recursive: true, force: true });
      await fs.rm(old.gitlab.repos.root, { recursive: true, force: true });
      log('reset to seed');
    },
    async state() {
      return {
        mlflow: {
          basicAuth: mlflowSettings.basicAuth,
          registration: mlflowSettings.registration,
        },
        reconcileInterval: interval,
        serving,
        webhook: {
          url: webhookConfig.url ?? null,
          secret: webhookConfig.secret ? '(set)' : null,
        },
        gitlabWebhook: {
          url: gitlabWebhookConfig.url ?? null,
          secret: gitlabWebhookConfig.secret ? '(set)' : null,
        },
        faults: Object.fromEntries(
          SYSTEMS.map(s => [s, servers[s].getFault()]),
        ),
        // How long a new version's predictor takes to roll out.
        rolloutSeconds: serving.rolloutSeconds,
        deployments: state.world.deployments.map(d => ({
          model: d.model.name,
          environment: d.env,
          operator: d.operator,
          autoSync: d.autoSync,
          declaredRevision: d.targetRevision,
          declaredVersion: d.targetVersion,
          appliedRevision: d.appliedRevision,
          appliedVersion: d.appliedVersion,
          liveVersion: state.world.liveVersion(d),
          drifted: d.driftVersion !== undefined,
          reconciledAt: d.reconciledAt,
          predictor: predictorState(state.world, d),
        })),
        // What the Sealed Secrets controller made of the SealedSecrets the
        // operators applied: digests of the values, never the values.
        secrets: [...state.world.secrets.values()],
        unsealFailures: state.world.unsealFailures,
        webhookDeliveries: state.webhooks.deliveries.slice(-20).map(x => ({
          id: x.id,
          ref: x.payload.ref,
          repository: x.payload.repository.full_name,
          after: x.payload.after,
          status: x.status,
          error: x.error,
        })),
        gitlabWebhookDeliveries: state.gitlabWebhooks.deliveries
          .slice(-20)
          .map(x => ({
            id: x.id,
            ref: x.payload.ref,
            project: x.payload.project.path_with_namespace,
            after: x.payload.after,
            status: x.status,
            error: x.error,
          })),
      };
    },
    async stop() {
      state.world.stop();
      state.kube.watches.stop();
      state.argocd.stream.stop();
      await state.actions?.stop();
      await state.gitlabCi?.stop();
      await state.webhooks.idle().catch(() => {});
      await state.gitlabWebhooks.idle().catch(() => {});
      await Promise.all(Object.values(servers).map(s => s.stop()));
      if (!options.dataDir) {
        await fs.rm(dataDir, { recursive: true, force: true });
      } else if (template) {
        await fs.rm(template.dir, { recursive: true, force: true });
      }
    },
    current: () => state,
    sealedSecrets,
  };

  servers.admin = new EmulatorServer({
    name: 'admin',
    port: ports.admin,
    log,
    logRequests: options.logRequests,
    handler: adminHandler(sandbox),
    unauthorized: res => sendJson(res, 401, { error: 'unauthorized' }),
    unavailable: res => sendJson(res, 503, { error: 'unavailable' }),
    internalError: (res, e) =>
      sendJson(res, 500, { error: String((e as Error)?.message ?? e) }),
  });

  try {
    for (const s of Object.values(servers)) await s.start();
  } catch (e) {
    await Promise.all(Object.values(servers).map(s => s.stop()));
    throw e;
  }
  state.world.start();
  const p = Object.fromEntries(
    Object.entries(servers).map(([k, s]) => [k, s.port]),
  ) as Sandbox['ports'];
  sandbox.ports = p;
  sandbox.urls = {
    ...(Object.fromEntries(
      Object.entries(servers).map(([k, s]) => [k, s.url]),
    ) as Record<SystemName | 'admin', string>),
    gitApi: `${servers.git.url}/api/v3`,
  };
  return sandbox;
}

/** The predictor of a deployment, for /_sandbox/state. */
function predictorState(world: World, d: LiveDeployment) {
  world.settleServing(d);
  const p = d.predictor;
  const iso = (ms: number) => new Date(ms).toISOString();
  const pending = [...d.pendingPredictorFailures.keys()].map(v =>
    v === '*' ? null : v,
  );
  return {
    ...(p
      ? {
          phase: p.phase,
          version: p.version,
          revision: p.revision,
          since: iso(p.since),
          ...(p.phase === 'rolling-out'
            ? { rolloutEndsAt: iso(p.endsAt) }
            : {}),
          ...(p.failure
            ? {
                failure: {
                  reason: p.failure.reason,
                  message: p.failure.message,
                  at: iso(p.failure.at),
                },
              }
            : {}),
          ...(p.previous ? { previousVersion: p.previous.version } : {}),
        }
      : { phase: null }),
    failNextRollout: pending,
  };
}

/**
 * The port of each system. A caller that asks for free ports (0) for every
 * system it names gets free ports for the ones it leaves out too, so a
 * caller written before a system was added never binds that system's
 * default port.
 */
function sandboxPorts(
  given: SandboxOptions['ports'],
): Record<SystemName | 'admin', number> {
  const values = Object.values(given ?? {});
  const anyFree = values.length > 0 && values.every(p => p === 0);
  const defaults = anyFree
    ? (Object.fromEntries(
        Object.keys(DEFAULT_PORTS).map(k => [k, 0]),
      ) as typeof DEFAULT_PORTS)
    : DEFAULT_PORTS;
  return { ...defaults, ...given };
}

/** Removes the repositories of earlier sandbox processes that are gone. */
async function removeStaleData(dataDir: string) {
  for (const entry of await fs.readdir(dataDir)) {
    const m = /^(?:git|gitlab|work|actions)-(\d+)-\d+$/.exec(entry);
    if (!m) continue;
    let alive = Number(m[1]) === process.pid;
    if (!alive) {
      try {
        process.kill(Number(m[1]), 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (!alive)
      await fs.rm(path.join(dataDir, entry), { recursive: true, force: true });
  }
}

/** The test controls: JSON over HTTP on the admin port, under /_sandbox/. */
function adminHandler(sandbox: Sandbox) {
  const r = new Router();
  const ok = (res: any, body: unknown = { ok: true }) =>
    sendJson(res, 200, body);
  r.add('GET', '/_sandbox/state', async ctx =>
    ok(ctx.res, await sandbox.state()),
  );
  r.add('POST', '/_sandbox/faults/:system', async ctx => {
    const system = ctx.params.system as SystemName;
    if (!SYSTEMS.includes(system)) {
      sendJson(ctx.res, 404, {
        error: `unknown system ${system}; one of ${SYSTEMS.join(', ')}`,
      });
      return;
    }
    const body = await readJson(ctx.req);
    const modes = ['none', 'down', 'unavailable', 'slow', 'unauthorized'];
    if (!modes.includes(body.mode)) {
      sendJson(ctx.res, 400, {
        error: `mode must be one of ${modes.join(', ')}`,
      });
      return;
    }
    if (body.mode === 'slow' && !(Number(body.delayMs) >= 0)) {
      sendJson(ctx.res, 400, { error: 'slow needs delayMs' });
      return;
    }
    await sandbox.setFault(
      system,
      body.mode === 'slow'
        ? { mode: 'slow', delayMs: Number(body.delayMs) }
        : { mode: body.mode },
    );
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/drift', async ctx => {
    const body = await readJson(ctx.req);
    try {
      sandbox.setDrift(
        String(body.model),
        String(body.environment),
        body.version === null || body.version === undefined
          ? null
          : String(body.version),
      );
    } catch (e) {
      sendJson(ctx.res, 404, { error: (e as Error).message });
      return;
    }
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/flux-failure', async ctx => {
    const body = await readJson(ctx.req);
    const failure = body.failure;
    if (
      failure !== null &&
      (typeof failure?.reason !== 'string' ||
        typeof failure?.message !== 'string')
    ) {
      sendJson(ctx.res, 400, {
        error:
          'failure must be null or { reason: string, message: string }, e.g. { "reason": "HealthCheckFailed", "message": "health check failed after 4m30s" }',
      });
      return;
    }
    try {
      sandbox.setFluxFailure(
        String(body.model),
        String(body.environment),
        failure,
      );
    } catch (e) {
      sendJson(ctx.res, 404, { error: (e as Error).message });
      return;
    }
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/auto-sync', async ctx => {
    const body = await readJson(ctx.req);
    try {
      sandbox.setAutoSync(
        String(body.model),
        String(body.environment),
        Boolean(body.enabled),
      );
    } catch (e) {
      sendJson(ctx.res, 404, { error: (e as Error).message });
      return;
    }
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/canary', async ctx => {
    const body = await readJson(ctx.req);
    const canary = body.canary;
    let parsed: SandboxCanary | null;
    if (canary === null) {
      parsed = null;
    } else if (
      canary?.kind === 'argo-rollouts' &&
      ANALYSIS_PHASES.includes(canary.phase)
    ) {
      parsed = { kind: 'argo-rollouts', phase: canary.phase };
    } else if (
      canary?.kind === 'kserve' &&
      Number(canary.trafficPercent) >= 0 &&
      Number(canary.trafficPercent) <= 100
    ) {
      parsed = {
        kind: 'kserve',
        trafficPercent: Number(canary.trafficPercent),
        ...(canary.failed ? { failed: true } : {}),
      };
    } else {
      sendJson(ctx.res, 400, {
        error: `canary must be null, { kind: 'argo-rollouts', phase: ${ANALYSIS_PHASES.join(
          ' | ',
        )} } or { kind: 'kserve', trafficPercent: 0-100, failed?: boolean }`,
      });
      return;
    }
    try {
      sandbox.setCanary(String(body.model), String(body.environment), parsed);
    } catch (e) {
      sendJson(ctx.res, 404, { error: (e as Error).message });
      return;
    }
    ok(ctx.res);
  });
  // KServe predictor controls: fail now, fail the next rollout, recover.
  const failureInput = (body: any): Partial<PredictorFailure> | string => {
    if (
      body.reason !== undefined &&
      !PREDICTOR_FAILURE_REASONS.includes(body.reason)
    ) {
      return `reason must be one of ${PREDICTOR_FAILURE_REASONS.join(', ')}`;
    }
    if (body.message !== undefined && typeof body.message !== 'string') {
      return 'message must be a string';
    }
    if (
      body.exitCode !== undefined &&
      !(
        Number.isInteger(body.exitCode) &&
        body.exitCode > 0 &&
        body.exitCode < 256
      )
    ) {
      return 'exitCode must be an integer from 1 to 255';
    }
    return {
      ...(body.reason ? { reason: body.reason } : {}),
      ...(body.message !== undefined ? { message: body.message } : {}),
      ...(body.exitCode !== undefined ? { exitCode: body.exitCode } : {}),
    };
  };
  const servingControl = (
    route: string,
    run: (model: string, environment: string, body: any) => void | string,
  ) =>
    r.add('POST', route, async ctx => {
      const body = await readJson(ctx.req);
      if (
        typeof body?.model !== 'string' ||
        typeof body?.environment !== 'string'
      ) {
        sendJson(ctx.res, 400, {
          error:
            'model and environment must be strings, e.g. { "model": "fraud-detector", "environment": "production" }',
        });
        return;
      }
      let problem: void | string;
      try {
        problem = run(body.model, body.environment, body);
      } catch (e) {
        sendJson(ctx.res, 404, { error: (e as Error).message });
        return;
      }
      if (problem) {
        sendJson(ctx.res, 400, { error: problem });
        return;
      }
      ok(ctx.res);
    });
  servingControl('/_sandbox/serving/fail', (model, environment, body) => {
    const failure = failureInput(body);
    if (typeof failure === 'string') return failure;
    return sandbox.failServing(model, environment, failure);
  });
  servingControl(
    '/_sandbox/serving/fail-next-rollout',
    (model, environment, body) => {
      const failure = failureInput(body);
      if (typeof failure === 'string') return failure;
      if (
        body.version !== undefined &&
        body.version !== null &&
        typeof body.version !== 'string'
      ) {
        return 'version must be a string (a model version) or null (any)';
      }
      return sandbox.failNextRollout(
        model,
        environment,
        body.version ?? null,
        failure,
      );
    },
  );
  servingControl('/_sandbox/serving/recover', (model, environment) =>
    sandbox.recoverServing(model, environment),
  );
  r.add('POST', '/_sandbox/serving/rollout-duration', async ctx => {
    const body = await readJson(ctx.req);
    const seconds = body?.seconds;
    if (typeof seconds !== 'number' || !(seconds >= 0)) {
      sendJson(ctx.res, 400, {
        error: 'seconds must be a number, 0 or more, e.g. { "seconds": 3 }',
      });
      return;
    }
    sandbox.setRolloutSeconds(seconds);
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/reconcile-interval', async ctx => {
    const body = await readJson(ctx.req);
    const seconds = Number(body.seconds);
    if (!(seconds > 0)) {
      sendJson(ctx.res, 400, { error: 'seconds must be a positive number' });
      return;
    }
    sandbox.setReconcileInterval(
      seconds,
      body.jitterSeconds === undefined ? undefined : Number(body.jitterSeconds),
    );
    ok(ctx.res);
  });
  for (const [route, host] of [
    ['/_sandbox/webhook', 'github'],
    ['/_sandbox/gitlab/webhook', 'gitlab'],
  ] as const) {
    r.add('POST', route, async ctx => {
      const body = await readJson(ctx.req);
      const config = {
        ...('url' in body ? { url: body.url ?? undefined } : {}),
        ...('secret' in body ? { secret: body.secret ?? undefined } : {}),
      };
      if (host === 'gitlab') sandbox.setGitlabWebhook(config);
      else sandbox.setWebhook(config);
      ok(ctx.res);
    });
  }
  r.add('GET', '/_sandbox/webhooks', ctx =>
    ok(ctx.res, {
      deliveries: sandbox.webhookDeliveries(),
      gitlabDeliveries: sandbox.gitlabWebhookDeliveries(),
    }),
  );
  r.add('GET', '/_sandbox/actions', ctx =>
    ok(ctx.res, { runs: sandbox.actionsRuns() }),
  );
  // The Sealed Secrets controller's own HTTP port (what a cluster ingress
  // in front of it would serve), and an unseal check that answers digests.
  r.add('GET', '/v1/cert.pem', ctx =>
    sandbox.sealedSecrets.handle(ctx.req, ctx.res, '/v1/cert.pem'),
  );
  r.add('POST', '/v1/verify', ctx =>
    sandbox.sealedSecrets.handle(ctx.req, ctx.res, '/v1/verify'),
  );
  r.add('POST', '/_sandbox/unseal', ctx =>
    sandbox.sealedSecrets.handleAdminUnseal(ctx.req, ctx.res),
  );
  r.add('POST', '/_sandbox/mlflow/basic-auth', async ctx => {
    const body = await readJson(ctx.req);
    if (typeof body.enabled !== 'boolean') {
      sendJson(ctx.res, 400, { error: 'enabled must be true or false' });
      return;
    }
    sandbox.setMlflowBasicAuth(body.enabled);
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/mlflow/registration', async ctx => {
    const body = await readJson(ctx.req);
    if (body.mode !== 'ready' && body.mode !== 'pending') {
      sendJson(ctx.res, 400, { error: 'mode must be ready or pending' });
      return;
    }
    sandbox.setMlflowRegistration(body.mode);
    ok(ctx.res);
  });
  r.add('POST', '/_sandbox/mlflow/registration/complete', async ctx => {
    const body = await readJson(ctx.req);
    if (body.status !== 'READY' && body.status !== 'FAILED_REGISTRATION') {
      sendJson(ctx.res, 400, {
        error: 'status must be READY or FAILED_REGISTRATION',
      });
      return;
    }
    try {
      sandbox.completeMlflowRegistration(
        String(body.model),
        String(body.version),
        body.status,
        typeof body.message === 'string' ? body.message : undefined,
      );
    } catch (e) {
      sendJson(ctx.res, 409, { error: (e as Error).message });
      return;
    }
    ok(ctx.res);
  });
  // A person approves or merges a GitLab merge request (what they would do
  // in GitLab's UI), under GitLab's rules: GitLabHost.approve / merge.
  const gitlabAsPerson =
    (act: 'approve' | 'merge') => async (ctx: { req: any; res: any }) => {
      const body = await readJson(ctx.req);
      const gl = sandbox.current().gitlab;
      const project = gl.project(String(body.project ?? ''));
      const user = gl.userByName(String(body.user ?? ''));
      if (!project || !user || !Number.isInteger(body.iid)) {
        sendJson(ctx.res, 400, {
          error:
            'project (full path), iid (number) and user (username) are required, e.g. { "project": "ml-platform/demand-forecaster-config", "iid": 3, "user": "katherine" }',
        });
        return;
      }
      try {
        const mr = gl.mergeRequest(project, body.iid);
        if (act === 'approve') await gl.approve(project, mr, user);
        else await gl.merge(project, mr, user);
        ok(ctx.res, {
          ok: true,
          state: mr.state,
          merge_commit_sha: mr.merge_commit_sha,
          approvals: mr.approvals.length,
        });
      } catch (e) {
        if (!(e instanceof GitLabError)) throw e;
        // GitLab's own status and body, as the API would answer the person
        sendJson(ctx.res, e.status, e.body);
      }
    };
  r.add('POST', '/_sandbox/gitlab/approve', gitlabAsPerson('approve'));
  r.add('POST', '/_sandbox/gitlab/merge', gitlabAsPerson('merge'));
  r.add('GET', '/_sandbox/gitlab/pipelines', ctx =>
    ok(ctx.res, {
      pipelines: sandbox.current().gitlab.projects.flatMap(p =>
        p.pipelines.map(x => ({
          project: `${p.namespace.full_path}/${p.path}`,
          id: x.id,
          sha: x.sha,
          ref: x.ref,
          status: x.status,
          jobs: x.jobs.map(j => ({
            name: j.name,
            status: j.status,
            description: j.description,
          })),
        })),
      ),
    }),
  );
  r.add('POST', '/_sandbox/reset', async ctx => {
    await sandbox.reset();
    ok(ctx.res);
  });
  return async (req: any, res: any, url: URL) => {
    try {
      const matched = await r.handle({ req, res, url }, url.pathname);
      if (!matched || matched === 'method') {
        req.resume();
        sendJson(res, 404, {
          error: 'unknown admin path; see packages/sandbox/README.md',
        });
      }
    } catch (e) {
      if (e instanceof BadJsonError)
        sendJson(res, 400, { error: `bad JSON: ${e.message}` });
      else throw e;
    }
  };
}
