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

/**
 * The scale sandbox in a child process on the load generator's core, and
 * the catalog and configuration the backend reads it through.
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { scaleModelName } from 'sandbox';
import {
  emulatorClient,
  emulatorClusters,
  emulatorSourcesConfig,
  EmulatorUrls,
} from '../emulatorClient';
import {
  BENCH_DIR,
  CATALOG_PROCESSING_DEFAULT,
  ENVIRONMENTS,
  MODELS,
  ROOT,
  SEARCH_EVERY_10_MIN,
  WORK,
  POLL_CONCURRENCY,
} from './options';

export type Urls = EmulatorUrls;

export async function startSandbox() {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(BENCH_DIR, 'emulators.ts'),
      String(MODELS),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const { urls, ask } = await emulatorClient(child, 'the sandbox');
  return {
    child,
    urls,
    counts: async () => (await ask({ type: 'stats' })).counts ?? {},
    reset: async () => {
      await ask({ type: 'reset' });
    },
    stop: async () => {
      await ask({ type: 'stop' }).catch(() => undefined);
      child.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------
// Catalog and configuration

const OWNERS = ['fraud-ml', 'growth-ml', 'ml-platform'];

/** Models per generated catalog file. */
const MODELS_PER_FILE = 50;

/**
 * The fleet's catalog: files of 50 models each, as a team's or a repo's
 * catalog file holds a few. One file of every model would be read and
 * parsed by the catalog's file reader in one task of 0.4-0.8 s (its YAML
 * parse) each time the catalog refreshes that location: a stall of the
 * framework's, not the plugin's, in every window it falls in.
 */
export function writeCatalog(urls: Urls): string[] {
  const dir = path.join(WORK, 'catalog');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let from = 0; from < MODELS; from += MODELS_PER_FILE) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(MODELS, from + MODELS_PER_FILE); i++) {
      const name = scaleModelName(i);
      lines.push(
        '---',
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata:',
        `  name: ${name}`,
        '  annotations:',
        `    ml-gitops/model: ${name}`,
        `    ml-gitops/config-repo: ${urls.git}/acme/${name}-config`,
        'spec:',
        '  type: ml-model',
        `  owner: group:default/${OWNERS[i % OWNERS.length]}`,
        '  lifecycle: production',
      );
    }
    const file = path.join(
      dir,
      `models-${String(files.length).padStart(3, '0')}.yaml`,
    );
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    files.push(file);
  }
  return files;
}

/** Layered over the repo's app-config.yaml; YAML is JSON. */
export function writeConfig(
  urls: Urls,
  port: number,
  catalogFiles: string[],
  database: { client: string; connection: string },
): string {
  const gitHost = new URL(urls.git).host;
  const base = `http://localhost:${port}`;
  const config = {
    app: { baseUrl: base },
    backend: {
      baseUrl: base,
      listen: { port },
      cors: { origin: base },
      database,
    },
    auth: {
      providers: {
        guest: {
          // NODE_ENV=production: the guest provider is for demos only.
          dangerouslyAllowOutsideDevelopment: true,
          ownershipEntityRefs: [
            'user:development/guest',
            'group:default/ml-platform',
            'group:default/fraud-ml',
          ],
        },
      },
    },
    integrations: {
      github: [
        { host: gitHost, apiBaseUrl: urls.gitApi, token: 'bench-token' },
      ],
    },
    // Outside development the backend wants the Git hosts' webhook secrets.
    events: {
      modules: {
        github: { webhookSecret: 'bench-webhook-secret' },
        gitlab: { webhookSecret: 'bench-webhook-secret' },
      },
    },
    // The demo's search indexes the catalog in memory (Lunr) every 10
    // minutes, building the index in one task: once at start here, unless
    // asked, so that the windows show what the plugins' requests and the
    // poll cost (an installation of this size searches with PostgreSQL or
    // Elasticsearch).
    ...(SEARCH_EVERY_10_MIN
      ? {}
      : {
          search: {
            collators: {
              catalog: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 15 },
                  initialDelay: { seconds: 3 },
                },
              },
            },
          },
        }),
    catalog: {
      ...(CATALOG_PROCESSING_DEFAULT
        ? {}
        : { processingInterval: { minutes: 30 } }),
      locations: [
        {
          type: 'file',
          target: path.join(ROOT, 'examples/org.yaml'),
          rules: [{ allow: ['User', 'Group'] }],
        },
        ...catalogFiles.map(target => ({
          type: 'file',
          target,
          rules: [{ allow: ['Component'] }],
        })),
      ],
    },
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: emulatorClusters(urls, ENVIRONMENTS).map(cluster => ({
            ...cluster,
            skipMetricsLookup: true,
          })),
        },
      ],
      customResources: [
        {
          group: 'serving.kserve.io',
          apiVersion: 'v1beta1',
          plural: 'inferenceservices',
        },
      ],
    },
    mlGitops: {
      environments: [...ENVIRONMENTS],
      // The benchmark triggers the cycles through the scheduler's API, 30 s
      // apart start to start like `frequency: { seconds: 30 }` (the
      // default), so that the cold one finds the catalog complete and
      // measured windows know when a cycle starts. The schedule's own run
      // comes at start (an empty catalog) and then after a day. (A manual
      // trigger is not an option: the plugin's cluster-list task runs on
      // the same schedule, and a local task cannot be manual.)
      schedule: {
        frequency: { hours: 24 },
        timeout: { minutes: 10 },
      },
      staleAfter: { seconds: 90 },
      concurrency: POLL_CONCURRENCY,
      ...emulatorSourcesConfig(urls, ENVIRONMENTS),
    },
  };
  const file = path.join(WORK, 'app-config.bench.yaml');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
