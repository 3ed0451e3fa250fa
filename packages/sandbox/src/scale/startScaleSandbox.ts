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
 * The sandbox at fleet scale, for load measurements: a generated fleet of
 * thousands of models behind the same HTTP APIs as the demo sandbox — the
 * GitHub REST read side, one Argo CD instance and one Kubernetes cluster per
 * environment, and MLflow. Operators do not reconcile (nothing changes unless
 * asked), and every request is counted by method, path template and status.
 */

import os from 'node:os';
import http from 'node:http';
import { ArgoCdApi, sendArgoError } from '../argocd/ArgoCdApi';
import { sendGitHubError } from '../githost/GitHubApi';
import { GitRepos } from '../githost/GitRepos';
import { KubeApi } from '../kube/KubeApi';
import { EmulatorServer, Handler, sendJson } from '../lib/http';
import { World } from '../live/World';
import { GitHosts } from '../live/GitHosts';
import { MlflowApi } from '../mlflow/MlflowApi';
import { SANDBOX_CREDENTIALS } from '../sandbox';
import { ENVIRONMENTS, Environment } from '../seed/data';
import { createScaleFleet, ScaleFleet, ScaleFleetOptions } from './scaleFleet';
import { ScaleGitHubApi } from './ScaleGitHubApi';

export type ScaleSandboxOptions = ScaleFleetOptions & {
  log?: (message: string) => void;
};

export type ScaleSandbox = {
  fleet: ScaleFleet;
  urls: {
    git: string;
    gitApi: string;
    mlflow: string;
    /** One Argo CD instance per environment. */
    argocd: Record<Environment, string>;
    /** One cluster per environment. */
    kubernetes: Record<Environment, string>;
  };
  /** Requests answered since the last reset, by "server METHOD /path/template status". */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  /** Changes the live version of one deployment out of band (null clears it). */
  setDrift(
    model: string,
    environment: Environment,
    version: string | null,
  ): void;
  stop(): Promise<void>;
};

/** `/repos/acme/model-00001-config/commits/4f…` → `/repos/{owner}/{repo}/commits/{sha}`. */
export function pathTemplate(pathname: string): string {
  return pathname
    .replace(/^(\/api\/v3)?\/repos\/[^/]+\/[^/]+/, '/repos/{owner}/{repo}')
    .replace(/\/[0-9a-f]{40}(?=\/|$)/g, '/{sha}')
    .replace(/\/\d+(?=\/|$)/g, '/{n}')
    .replace(/\/contents\/.*$/, '/contents/{path}')
    .replace(/\/applications\/[^/]+/, '/applications/{name}');
}

function errorJson(res: http.ServerResponse, status: number, message: string) {
  sendJson(res, status, { message });
}

export async function startScaleSandbox(
  options: ScaleSandboxOptions,
): Promise<ScaleSandbox> {
  const log = options.log ?? ((m: string) => console.log(`[scale] ${m}`));
  const fleet = createScaleFleet(options);
  const counts = new Map<string, number>();
  const counted =
    (server: string, handler: Handler): Handler =>
    (req, res, url) => {
      res.on('finish', () => {
        // a watch is counted apart from the list of the same path: it is
        // one long request that ends at its timeout, not a read
        const watch = ['1', 'true'].includes(
          url.searchParams.get('watch') ?? '',
        )
          ? '?watch=1'
          : '';
        const k = `${server} ${req.method} ${pathTemplate(
          url.pathname,
        )}${watch} ${res.statusCode}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      });
      return handler(req, res, url);
    };

  const servers: EmulatorServer[] = [];
  const server = (
    name: string,
    handler: Handler,
    errors: Pick<
      ConstructorParameters<typeof EmulatorServer>[0],
      'unauthorized' | 'unavailable' | 'internalError'
    >,
  ) => {
    const s = new EmulatorServer({
      name,
      port: 0,
      log,
      handler: counted(name, handler),
      ...errors,
    });
    servers.push(s);
    return s;
  };

  // eslint-disable-next-line prefer-const -- assigned once, after the closures that read it
  let gitServer: EmulatorServer | undefined;
  const gitUrls = () => ({
    web: gitServer!.url,
    api: `${gitServer!.url}/api/v3`,
  });
  const github = new ScaleGitHubApi(fleet.repos, gitUrls);
  gitServer = server(
    'git',
    async (req, res, url) => {
      if (url.pathname === '/api/graphql') {
        await github.graphql.handle(req, res);
        return;
      }
      if (url.pathname.startsWith('/api/v3/')) {
        await github.handle(
          req,
          res,
          url,
          url.pathname.slice('/api/v3'.length),
        );
        return;
      }
      req.resume();
      sendGitHubError(res, 404, 'Not Found');
    },
    {
      unauthorized: res => sendGitHubError(res, 401, 'Bad credentials'),
      unavailable: res => sendGitHubError(res, 503, 'Service Unavailable'),
      internalError: res => sendGitHubError(res, 500, 'Server Error'),
    },
  );

  // Never read: the operators of the scale fleet do not reconcile from Git.
  const noRepos = new GitRepos(os.tmpdir());
  const worlds = {} as Record<Environment, World>;
  const argocd = {} as Record<Environment, EmulatorServer>;
  const kubernetes = {} as Record<Environment, EmulatorServer>;
  for (const env of ENVIRONMENTS) {
    const world = new World(
      new GitHosts([
        { name: 'github', repos: noRepos, baseUrl: () => gitServer!.url },
      ]),
      {
        reconcileIntervalSeconds: 86400,
        jitterSeconds: 0,
        rolloutSeconds: 0,
        log,
      },
    );
    world.deployments.push(...fleet.deployments[env]);
    worlds[env] = world;
    const argoApi = new ArgoCdApi(world, SANDBOX_CREDENTIALS.argocd);
    argocd[env] = server(
      `argocd-${env}`,
      (req, res, url) => argoApi.handle(req, res, url),
      {
        unauthorized: res =>
          sendArgoError(
            res,
            401,
            16,
            'invalid session: token signature is invalid',
          ),
        unavailable: res => sendArgoError(res, 503, 14, 'connection error'),
        internalError: (res, e) =>
          sendArgoError(res, 500, 2, String((e as Error)?.message ?? e)),
      },
    );
    const kubeApi = new KubeApi(world, SANDBOX_CREDENTIALS.kubernetes.token);
    kubernetes[env] = server(
      `kubernetes-${env}`,
      (req, res, url) => kubeApi.handle(req, res, url),
      {
        unauthorized: res => errorJson(res, 401, 'Unauthorized'),
        unavailable: res => errorJson(res, 503, 'unavailable'),
        internalError: (res, e) =>
          errorJson(res, 500, String((e as Error)?.message ?? e)),
      },
    );
  }

  // eslint-disable-next-line prefer-const -- assigned once, after the closure that reads it
  let mlflowServer: EmulatorServer | undefined;
  const mlflowApi = new MlflowApi(fleet.mlflow, () => mlflowServer!.url);
  mlflowServer = server(
    'mlflow',
    (req, res, url) => mlflowApi.handle(req, res, url),
    {
      unauthorized: res => errorJson(res, 401, 'unauthorized'),
      unavailable: res => errorJson(res, 503, 'unavailable'),
      internalError: (res, e) =>
        sendJson(res, 500, {
          error_code: 'INTERNAL_ERROR',
          message: String((e as Error)?.message ?? e),
        }),
    },
  );

  try {
    for (const s of servers) await s.start();
  } catch (e) {
    await Promise.all(servers.map(s => s.stop()));
    throw e;
  }
  const byEnv = (r: Record<Environment, EmulatorServer>) =>
    Object.fromEntries(ENVIRONMENTS.map(e => [e, r[e].url])) as Record<
      Environment,
      string
    >;
  return {
    fleet,
    urls: {
      git: gitServer.url,
      gitApi: `${gitServer.url}/api/v3`,
      mlflow: mlflowServer.url,
      argocd: byEnv(argocd),
      kubernetes: byEnv(kubernetes),
    },
    requestCounts: () => Object.fromEntries(counts),
    resetRequestCounts: () => counts.clear(),
    setDrift(model, environment, version) {
      const world = worlds[environment];
      const d = world.find(model, environment);
      if (!d) throw new Error(`unknown deployment ${model}/${environment}`);
      world.setDrift(d, version ?? undefined);
    },
    async stop() {
      await Promise.all(servers.map(s => s.stop()));
    },
  };
}
