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
 * Profile of the per-request path of the REST API (docs/performance.md,
 * "Per-request path"): a real backend (`createBackend` of
 * @backstage/backend-defaults: its root HTTP router with request logging,
 * auth with real ES256 tokens, the permission service, the permission
 * backend with a policy, the auth backend's guest provider) serving the
 * ml-gitops router over a store of polled models. A child process replays
 * the ML GitOps tab (`GET /v1/deployments` + `GET /v1/history?environment=…`)
 * as the guest user, so the figures are the backend's alone.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs \
 *     dev/profileRequestPath.ts [--views 2000] [--concurrency 10] \
 *     [--read-policy allow|owner] [--profile out.cpuprofile]
 *
 * `--read-policy owner` makes the read permission conditional (the model's
 * owners), so the permission backend asks the catalog's conditions (here
 * applied by this process from the stored owner, as the catalog would).
 *
 * Prints backend CPU per request (process.cpuUsage over the load) and, from
 * a V8 CPU profile of the load, the share of self time by area.
 */

import { fork } from 'node:child_process';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { DatabaseMlGitopsStore } from '../src/database/DatabaseMlGitopsStore';
import { option } from '../bench/cliOptions';
import { freePort } from '../bench/ports';
import { createRouter } from '../src/service/router';
import { summarise } from './profileAreas';

const VIEWS = Number(option('--views', '2000'));
const CONCURRENCY = Number(option('--concurrency', '10'));
const READ_POLICY = option('--read-policy', 'allow');
const PROFILE = option('--profile', '');
const MODELS = 200;
const ENVIRONMENTS = ['dev', 'staging', 'production'];

function status(name: string, version: string): EnvironmentStatus {
  return {
    name,
    declared: {
      version,
      commit: 'a'.repeat(40),
      author: 'ada',
      committedAt: '2026-11-01T10:00:00.000Z',
    },
    live: {
      version,
      revision: 'a'.repeat(40),
      source: 'argocd',
      instance: 'main',
      application: `m-${name}`,
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: '2026-11-01T10:05:00.000Z',
    },
    registry: {
      exists: true,
      aliases: ['champion'],
      metrics: { auc: 0.95 },
      gate: 'passed',
    },
    drift: { state: 'in-sync' },
  };
}

const policyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'profile-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle(
            request: PolicyQuery,
            user?: PolicyQueryUser,
          ): Promise<PolicyDecision> {
            if (
              READ_POLICY === 'owner' &&
              isResourcePermission(request.permission, 'catalog-entity')
            ) {
              return {
                result: AuthorizeResult.CONDITIONAL,
                pluginId: 'catalog',
                resourceType: 'catalog-entity',
                // The catalog's IS_ENTITY_OWNER rule, as
                // catalogConditions.isEntityOwner writes it.
                conditions: {
                  rule: 'IS_ENTITY_OWNER',
                  resourceType: 'catalog-entity',
                  params: { claims: user?.info.ownershipEntityRefs ?? [] },
                },
              };
            }
            return { result: AuthorizeResult.ALLOW };
          },
        });
      },
    });
  },
});

/** The catalog's apply-conditions endpoint for the owner rule: everyone owns every model here. */
const catalogConditionsPlugin = createBackendPlugin({
  pluginId: 'catalog',
  register(reg) {
    reg.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const express = (await import('express')).default;
        const router = express.Router();
        router.use(express.json());
        router.post(
          '/.well-known/backstage/permissions/apply-conditions',
          (req, res) => {
            res.json({
              items: req.body.items.map((i: { id: string }) => ({
                id: i.id,
                result: AuthorizeResult.ALLOW,
              })),
            });
          },
        );
        httpRouter.use(router);
      },
    });
  },
});

const mlGitopsProfilePlugin = createBackendPlugin({
  pluginId: 'ml-gitops',
  register(reg) {
    reg.registerInit({
      deps: {
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const store = await DatabaseMlGitopsStore.create({
          database: deps.database,
          logger: deps.logger,
        });
        for (let i = 0; i < MODELS; i++) {
          const ref = `component:default/model-${i}`;
          await store.replaceStatuses(
            ref,
            `model-${i}`,
            ENVIRONMENTS.map(e => status(e, String(i))),
          );
          await store.recordDeployments(
            ref,
            ENVIRONMENTS.map(environment => ({
              environment,
              version: String(i),
              commit: 'a'.repeat(40),
              author: 'ada',
              committedAt: '2026-11-01T10:00:00.000Z',
              kind: 'deploy' as const,
            })),
          );
        }
        deps.httpRouter.use(
          await createRouter({
            ...deps,
            store,
            poller: { pollEntityRef: async () => true },
            environments: ENVIRONMENTS,
          }),
        );
      },
    });
  },
});

/** The load: runs in a child process so its CPU is not the backend's. */
async function client(base: string, token: string) {
  let next = 0;
  let failed = 0;
  const view = async (i: number) => {
    const ref = `component:default/model-${i % MODELS}`;
    const env = ENVIRONMENTS[i % ENVIRONMENTS.length];
    const headers = { authorization: `Bearer ${token}` };
    const [a, b] = await Promise.all([
      fetch(`${base}/v1/deployments?entityRef=${ref}`, { headers }),
      fetch(`${base}/v1/history?entityRef=${ref}&environment=${env}`, {
        headers,
      }),
    ]);
    await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    if (!a.ok || !b.ok) failed++;
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < VIEWS) await view(next++);
    }),
  );
  process.send!({ type: 'profile-client-done', failed });
}

async function main() {
  if (process.env.PROFILE_CLIENT) {
    await client(process.env.PROFILE_BASE!, process.env.PROFILE_TOKEN!);
    return;
  }
  process.env.NODE_ENV = 'development';
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const backend = createBackend();
  backend.add(
    mockServices.rootConfig.factory({
      data: {
        app: { baseUrl: 'http://localhost:3000' },
        backend: {
          baseUrl,
          listen: { port },
          database: { client: 'better-sqlite3', connection: ':memory:' },
        },
        auth: { environment: 'development', providers: { guest: {} } },
        permission: { enabled: true },
      },
    }),
  );
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
  backend.add(import('@backstage/plugin-permission-backend'));
  backend.add(policyModule);
  backend.add(catalogConditionsPlugin);
  backend.add(mlGitopsProfilePlugin);
  await backend.start();

  const refresh = await fetch(
    `${baseUrl}/api/auth/guest/refresh?env=development`,
    { headers: { 'x-requested-with': 'XMLHttpRequest' } },
  );
  const token: string = (await refresh.json()).backstageIdentity.token;

  const run = async () => {
    const child = fork(__filename, process.argv.slice(2), {
      execArgv: process.execArgv,
      env: {
        ...process.env,
        PROFILE_CLIENT: '1',
        PROFILE_BASE: `${baseUrl}/api/ml-gitops`,
        PROFILE_TOKEN: token,
      },
    });
    return new Promise<{ failed: number }>((resolve, reject) => {
      child.on('message', (m: { type?: string; failed: number }) => {
        if (m?.type === 'profile-client-done') resolve(m);
      });
      child.once('exit', code =>
        code ? reject(new Error(`client exited ${code}`)) : undefined,
      );
    });
  };
  await run(); // warm-up: JIT, token caches, connection pools

  const session = PROFILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { failed } = await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const requests = VIEWS * 2;
  console.log(
    `read policy ${READ_POLICY}: ${VIEWS} views (${requests} requests, ${failed} failed) at c=${CONCURRENCY} in ${wallMs.toFixed(
      0,
    )} ms; backend CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / requests).toFixed(
      3,
    )} ms per request, ${((cpuMs / requests) * 2).toFixed(3)} ms per view${
      session ? ' (with the profiler running)' : ''
    }`,
  );
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.writeFileSync(PROFILE, JSON.stringify(profile));
    summarise(profile);
  }
  // Stopping waits for the scheduler's and the database's handles: the
  // figures are out, so leave.
  process.exit(0);
}

main().then(
  () => process.env.PROFILE_CLIENT && process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
