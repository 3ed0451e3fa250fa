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

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { http, HttpResponse } from 'msw';
import { main } from '../main';

/** A temporary directory removed by {@link cleanupTmpDirs}. */
const created: string[] = [];

export function tmpDir(prefix = 'ml-gitops-cli-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function cleanupTmpDirs() {
  for (const dir of created.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes files (relative path → content) under a directory. */
export function writeFiles(
  root: string,
  files: Record<string, string | Uint8Array>,
) {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

export { MANIFEST } from './manifest';
import { MANIFEST } from './manifest';

/** A config repo on disk with the given files (default: a valid manifest). */
export function makeRepo(
  files: Record<string, string | Uint8Array> = {
    'deploy/model.yaml': MANIFEST,
  },
) {
  const root = tmpDir();
  writeFiles(root, files);
  return root;
}

/** Runs git in a directory with a fixed identity. */
export function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: root,
    },
  });
}

/** Makes a Git repository with its first commit on `branch`. */
export function gitInit(root: string, branch = 'dev') {
  git(root, 'init', '-q', '-b', branch);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'initial');
}

/** Runs the CLI in-process and captures its output. */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
) {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(args, {
    stdout: t => {
      stdout += t;
    },
    stderr: t => {
      stderr += t;
    },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { exitCode, stdout, stderr, output: stdout + stderr };
}

export const REGISTRY = 'http://mlflow.test';
const API = `${REGISTRY}/api/2.0/mlflow`;

/** A model version as MLflow sends it. */
export function mlflowVersion(
  version: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    name: 'fraud-detector',
    version,
    creation_timestamp: 1764240000000,
    last_updated_timestamp: 1764240000000,
    current_stage: 'None',
    source: `models:/m-${version}`,
    run_id: `run-${version}`,
    status: 'READY',
    // No tags and no aliases: protobuf's JSON leaves empty lists out.
    ...overrides,
  };
}

/** msw handlers for a small MLflow registry. */
export function mlflowHandlers(registry: {
  versions: Record<string, Record<string, unknown>>;
  metrics?: Record<string, Record<string, number>>;
  onRequest?: (request: Request) => void;
}) {
  const notFound = (message: string) =>
    HttpResponse.json(
      { error_code: 'RESOURCE_DOES_NOT_EXIST', message },
      { status: 404 },
    );
  return [
    http.get(`${API}/model-versions/get`, ({ request }) => {
      registry.onRequest?.(request);
      const url = new URL(request.url);
      const v = url.searchParams.get('version') ?? '';
      if (
        url.searchParams.get('name') !== 'fraud-detector' ||
        !registry.versions[v]
      ) {
        return notFound(
          `Model Version (name=${url.searchParams.get(
            'name',
          )}, version=${v}) not found`,
        );
      }
      return HttpResponse.json({ model_version: registry.versions[v] });
    }),
    // The version's storage_location, else its source
    // (get_model_version_download_uri in
    // mlflow/store/model_registry/sqlalchemy_store.py); the fixture's
    // versions carry no storage_location, so it is their source.
    http.get(`${API}/model-versions/get-download-uri`, ({ request }) => {
      const url = new URL(request.url);
      const v = url.searchParams.get('version') ?? '';
      if (
        url.searchParams.get('name') !== 'fraud-detector' ||
        !registry.versions[v]
      ) {
        return notFound(
          `Model Version (name=${url.searchParams.get(
            'name',
          )}, version=${v}) not found`,
        );
      }
      return HttpResponse.json({
        artifact_uri: String(registry.versions[v].source ?? ''),
      });
    }),
    http.get(`${API}/registered-models/get`, ({ request }) => {
      const name = new URL(request.url).searchParams.get('name');
      if (name !== 'fraud-detector')
        return notFound(`Registered Model with name=${name} not found`);
      // latest_versions: the newest version of each stage
      // (RegisteredModel in mlflow/protos/model_registry.proto).
      const newest = new Map<string, Record<string, unknown>>();
      for (const v of Object.values(registry.versions)) {
        const stage = String(v.current_stage ?? 'None');
        const current = newest.get(stage);
        if (!current || Number(v.version) > Number(current.version)) {
          newest.set(stage, v);
        }
      }
      return HttpResponse.json({
        registered_model: {
          name,
          creation_timestamp: 1764240000000,
          last_updated_timestamp: 1764240000000,
          ...(newest.size ? { latest_versions: [...newest.values()] } : {}),
        },
      });
    }),
    http.get(`${API}/model-versions/search`, ({ request }) => {
      // Pages as MLflow's registry does: max_results (at most 200 000,
      // _search_model_versions in mlflow/server/handlers.py) and a
      // next_page_token of base64 {"offset": n} (SearchUtils.create_page_token
      // in mlflow/utils/search_utils.py); no key for an empty list.
      const query = new URL(request.url).searchParams;
      const filter = query.get('filter') ?? '';
      const match = /^name\s*=\s*'([^']*)'$/.exec(filter.trim());
      const all = Object.values(registry.versions)
        .filter(() => !match || match[1] === 'fraud-detector')
        .sort((a, b) => Number(b.version) - Number(a.version));
      const max = Number(query.get('max_results') ?? 200_000);
      const token = query.get('page_token');
      const offset = token
        ? Number(JSON.parse(Buffer.from(token, 'base64').toString()).offset)
        : 0;
      const page = all.slice(offset, offset + max);
      return HttpResponse.json({
        ...(page.length ? { model_versions: page } : {}),
        ...(offset + max < all.length
          ? {
              next_page_token: Buffer.from(
                JSON.stringify({ offset: offset + max }),
              ).toString('base64'),
            }
          : {}),
      });
    }),
    http.get(`${API}/runs/get`, ({ request }) => {
      const runId = new URL(request.url).searchParams.get('run_id') ?? '';
      const metrics = registry.metrics?.[runId];
      if (!metrics) return notFound(`Run with id=${runId} not found`);
      return HttpResponse.json({
        run: {
          info: {
            run_id: runId,
            run_uuid: runId,
            experiment_id: '1',
            status: 'FINISHED',
            lifecycle_stage: 'active',
          },
          data: Object.keys(metrics).length
            ? {
                metrics: Object.entries(metrics).map(([key, value]) => ({
                  key,
                  value,
                  timestamp: 1,
                  step: 0,
                })),
              }
            : {},
        },
      });
    }),
  ];
}

/** A stack trace line, which the CLI must never print. */
export const STACK_TRACE = /\n\s+at .+(\(|\s)\S+:\d+:\d+\)?/;
