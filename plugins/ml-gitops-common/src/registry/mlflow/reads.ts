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

// The MLflow client's reads: model versions (by version, alias or search), their artifacts, registered models and runs.

import { ServiceUnavailableError } from '@backstage/errors';
import { z } from 'zod';
import {
  normalizeMlflowModelVersion,
  normalizeMlflowRegisteredModel,
  normalizeMlflowRun,
} from './normalize';
import { MlflowRequests } from './requests';
import {
  apiError,
  apiModelVersion,
  apiRegisteredModel,
  apiRun,
} from './schemas';
import {
  MlflowApiRegisteredModel,
  MlflowApiRun,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRun,
} from './types';

// The answers' schemas, made once: zod compiles an object schema on its
// first parse, so a schema made per call is compiled per call (a new
// function for V8 to compile each time: most of a registry read's CPU).
const modelVersionAnswer = z.object({ model_version: apiModelVersion });
const downloadUriAnswer = z.looseObject({ artifact_uri: z.string() });
const registeredModelAnswer = z.object({
  registered_model: apiRegisteredModel,
});
const versionsPage = z.looseObject({
  model_versions: z.array(apiModelVersion).optional(),
  next_page_token: z.string().optional(),
});
const runAnswer = z.object({ run: apiRun });

/** What `MlflowClient.getModelVersion` does. */
export async function getModelVersion(
  requests: MlflowRequests,
  name: string,
  version: string,
): Promise<MlflowModelVersion | undefined> {
  const body = await requests.get('model-versions/get', { name, version });
  return modelVersionIn(requests, body, 'model-versions/get');
}

/** The version in a `{ model_version }` answer, normalised; undefined for none. */
function modelVersionIn(
  requests: MlflowRequests,
  body: unknown,
  endpoint: string,
): MlflowModelVersion | undefined {
  if (body === undefined) return undefined;
  const parsed = requests.parse(modelVersionAnswer, body, endpoint);
  return normalizeMlflowModelVersion(parsed.model_version);
}

/** What `MlflowClient.getModelVersionDownloadUri` does. */
export async function getModelVersionDownloadUri(
  requests: MlflowRequests,
  name: string,
  version: string,
): Promise<string | undefined> {
  const body = await requests.get('model-versions/get-download-uri', {
    name,
    version,
  });
  if (body === undefined) return undefined;
  return requests.parse(
    downloadUriAnswer,
    body,
    'model-versions/get-download-uri',
  ).artifact_uri;
}

/** What `MlflowClient.getModelVersionArtifactText` does. */
export async function getModelVersionArtifactText(
  requests: MlflowRequests,
  name: string,
  version: string,
  path: string,
  maxBytes = 64 * 1024,
): Promise<string | undefined> {
  const url = `${
    requests.baseUrl
  }/model-versions/get-artifact?${new URLSearchParams({
    name,
    version,
    path,
  })}`;
  const response = await requests.send(url, 'GET', undefined);
  if (response.status === 404) {
    await response.text().catch(() => '');
    return undefined;
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const code = apiError.safeParse(
      (() => {
        try {
          return JSON.parse(text);
        } catch {
          return undefined;
        }
      })(),
    );
    if (code.success && code.data.error_code === 'RESOURCE_DOES_NOT_EXIST') {
      return undefined;
    }
    throw new ServiceUnavailableError(
      `MLflow at ${requests.baseUrl} answered ${
        response.status
      } reading ${path} of ${name} version ${version}${
        code.success && code.data.message ? ` (${code.data.message})` : ''
      }`,
    );
  }
  const buffer = new Uint8Array(await response.arrayBuffer());
  if (buffer.byteLength > maxBytes) {
    throw new ServiceUnavailableError(
      `MLflow at ${requests.baseUrl} sent more than ${maxBytes} bytes for ${path} of ${name} version ${version}`,
    );
  }
  return new TextDecoder().decode(buffer);
}

/** What `MlflowClient.getRegisteredModel` does. */
export async function getRegisteredModel(
  requests: MlflowRequests,
  name: string,
): Promise<MlflowRegisteredModel | undefined> {
  const body = await requests.get('registered-models/get', { name });
  if (body === undefined) return undefined;
  const { registered_model: m } = requests.parse(
    registeredModelAnswer,
    body,
    'registered-models/get',
  );
  return normalizeMlflowRegisteredModel(m as MlflowApiRegisteredModel);
}

/** What `MlflowClient.getModelVersionByAlias` does. */
export async function getModelVersionByAlias(
  requests: MlflowRequests,
  name: string,
  alias: string,
): Promise<MlflowModelVersion | undefined> {
  const body = await requests.get(
    'registered-models/alias',
    { name, alias },
    (code, message) =>
      code === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(message),
  );
  return modelVersionIn(requests, body, 'registered-models/alias');
}

/** What `MlflowClient.searchModelVersions` does. */
export async function searchModelVersions(
  requests: MlflowRequests,
  filter: string,
  options: { limit?: number; pageSize?: number } = {},
): Promise<MlflowModelVersion[]> {
  const limit = options.limit ?? 10_000;
  // 1000 is MLflow's own default page (SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT
  // in mlflow/store/model_registry/__init__.py); the REST handler allows up
  // to 200 000, Databricks' registry 10 000.
  const pageSize = Math.min(options.pageSize ?? 1000, 10_000);
  const versions: MlflowModelVersion[] = [];
  const seen = new Set<string>();
  let pageToken: string | undefined;
  do {
    const body = await requests.get('model-versions/search', {
      filter,
      max_results: String(Math.min(pageSize, limit - versions.length)),
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    const page = requests.parse(
      versionsPage,
      body ?? {},
      'model-versions/search',
    );
    versions.push(
      ...(page.model_versions ?? []).map(normalizeMlflowModelVersion),
    );
    pageToken = page.next_page_token || undefined;
    if (pageToken && seen.has(pageToken)) {
      throw new ServiceUnavailableError(
        `MLflow at ${requests.baseUrl} sent the same next_page_token twice for model-versions/search; check the server`,
      );
    }
    if (pageToken) seen.add(pageToken);
  } while (pageToken && versions.length < limit);
  return versions;
}

/** What `MlflowClient.getRun` does. */
export async function getRun(
  requests: MlflowRequests,
  runId: string,
): Promise<MlflowRun | undefined> {
  const body = await requests.get('runs/get', { run_id: runId });
  if (body === undefined) return undefined;
  const parsed = requests.parse(runAnswer, body, 'runs/get');
  return normalizeMlflowRun(parsed.run as MlflowApiRun);
}
