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

import { http, HttpResponse } from 'msw';

/*
 * A small Kubeflow Model Registry for the CLI's tests, answering as
 * kubeflow/model-registry api/openapi/model-registry.yaml (v1alpha3)
 * describes: findRegisteredModel (GET /registered_model?name=),
 * findModelVersion (GET /model_version?name=&parentResourceId=),
 * getModelVersionArtifacts (GET /model_versions/{id}/artifacts) with an
 * ArtifactList, ids and times as strings (int64), MetadataValue custom
 * properties, and the Error schema `{ code, message }` for a 404 (ErrorResponse
 * in internal/server/openapi/helpers.go). The payloads are checked against
 * the published schemas in kubeflow.contract.test.ts.
 */

export const KUBEFLOW = 'http://kubeflow.test';
export const KUBEFLOW_API = '/api/model_registry/v1alpha3';

/** A custom property as the registry sends it (MetadataValue). */
export type MetadataValue =
  | { metadataType: 'MetadataDoubleValue'; double_value: number }
  | { metadataType: 'MetadataIntValue'; int_value: string }
  | { metadataType: 'MetadataStringValue'; string_value: string }
  | { metadataType: 'MetadataBoolValue'; bool_value: boolean };

export const double = (value: number): MetadataValue => ({
  metadataType: 'MetadataDoubleValue',
  double_value: value,
});
export const text = (value: string): MetadataValue => ({
  metadataType: 'MetadataStringValue',
  string_value: value,
});

/** One version of `fraud-detector`: its state, custom properties and model artifact. */
export type KubeflowVersionFixture = {
  state?: 'LIVE' | 'ARCHIVED';
  customProperties?: Record<string, MetadataValue>;
  /** The model artifact's uri; null: an artifact without a uri; absent: none. */
  uri?: string | null;
  modelFormatName?: string;
};

/** The ModelVersion the registry sends for a fixture version. */
export function kubeflowModelVersion(
  name: string,
  fixture: KubeflowVersionFixture,
) {
  return {
    id: String(100 + Number(name)),
    name,
    registeredModelId: '1',
    state: fixture.state ?? 'LIVE',
    author: 'ada',
    createTimeSinceEpoch: '1764240000000',
    lastUpdateTimeSinceEpoch: '1764240000000',
    customProperties: fixture.customProperties ?? {},
  };
}

/** The ArtifactList the registry sends for a fixture version's model artifacts. */
export function kubeflowArtifacts(
  name: string,
  fixture: KubeflowVersionFixture,
) {
  const items =
    fixture.uri === undefined
      ? []
      : [
          {
            id: String(200 + Number(name)),
            artifactType: 'model-artifact',
            name: `fraud-detector-${name}`,
            ...(fixture.uri !== null ? { uri: fixture.uri } : {}),
            state: 'LIVE',
            ...(fixture.modelFormatName
              ? {
                  modelFormatName: fixture.modelFormatName,
                  modelFormatVersion: '1',
                }
              : {}),
            customProperties: {},
            createTimeSinceEpoch: '1764240000000',
            lastUpdateTimeSinceEpoch: '1764240000000',
          },
        ];
  return { items, nextPageToken: '', pageSize: 100, size: items.length };
}

export const REGISTERED_MODEL = {
  id: '1',
  name: 'fraud-detector',
  state: 'LIVE',
  owner: 'ada',
  customProperties: {},
  createTimeSinceEpoch: '1764240000000',
  lastUpdateTimeSinceEpoch: '1764240000000',
};

/**
 * The registry's answer to a GET of `pathname?search` for the versions of
 * `fraud-detector` in `versions`; shared by the msw handlers and the HTTP
 * server of the integration test.
 */
export function kubeflowAnswer(
  versions: Record<string, KubeflowVersionFixture>,
  pathname: string,
  query: URLSearchParams,
): { status: number; body: unknown } {
  const notFound = (message: string) => ({
    status: 404,
    body: { code: 'Not Found', message },
  });
  const route = pathname.slice(KUBEFLOW_API.length);
  if (route === '/registered_model') {
    const name = query.get('name');
    return name === REGISTERED_MODEL.name
      ? { status: 200, body: REGISTERED_MODEL }
      : notFound(`no registered models found for name=${name}`);
  }
  if (route === '/model_version') {
    const name = query.get('name') ?? '';
    if (
      query.get('parentResourceId') !== REGISTERED_MODEL.id ||
      !versions[name]
    ) {
      return notFound(`no model versions found for name=${name}`);
    }
    return { status: 200, body: kubeflowModelVersion(name, versions[name]) };
  }
  if (route === `/registered_models/${REGISTERED_MODEL.id}/versions`) {
    // ModelVersionList (getRegisteredModelVersions): one page, ordered by id.
    const items = Object.entries(versions)
      .map(([name, fixture]) => kubeflowModelVersion(name, fixture))
      .sort((a, b) => Number(a.id) - Number(b.id));
    return {
      status: 200,
      body: {
        items,
        nextPageToken: '',
        pageSize: items.length,
        size: items.length,
      },
    };
  }
  const artifacts = /^\/model_versions\/(\d+)\/artifacts$/.exec(route);
  if (artifacts) {
    const name = String(Number(artifacts[1]) - 100);
    if (!versions[name]) {
      return notFound(`no model version found for id ${artifacts[1]}`);
    }
    return { status: 200, body: kubeflowArtifacts(name, versions[name]) };
  }
  return notFound(`no route ${pathname}`);
}

/** msw handlers for {@link kubeflowAnswer} at {@link KUBEFLOW}. */
export function kubeflowHandlers(
  versions: Record<string, KubeflowVersionFixture>,
  options: { status?: number } = {},
) {
  return [
    http.get(`${KUBEFLOW}${KUBEFLOW_API}/*`, ({ request }) => {
      if (options.status) {
        return HttpResponse.json(
          { code: 'Forbidden', message: 'access denied' },
          { status: options.status },
        );
      }
      const url = new URL(request.url);
      const { status, body } = kubeflowAnswer(
        versions,
        url.pathname,
        url.searchParams,
      );
      return HttpResponse.json(body as Record<string, unknown>, { status });
    }),
  ];
}
