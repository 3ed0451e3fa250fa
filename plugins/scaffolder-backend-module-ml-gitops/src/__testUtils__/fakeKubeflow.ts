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

import { kubeflowContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { http, HttpResponse } from 'msw';

/*
 * msw handlers answering a Kubeflow Model Registry's REST API (v1alpha3)
 * for one model, as kubeflow/model-registry api/openapi/model-registry.yaml
 * describes it: findRegisteredModel, findModelVersion, getModelVersion,
 * getModelVersionArtifacts (an ArtifactList of model artifacts) and
 * updateModelVersion (PATCH with a ModelVersionUpdate, answered with the
 * ModelVersion). Ids and times are strings (int64); a 404 carries the Error
 * schema `{ code, message }` (ErrorResponse in
 * internal/server/openapi/helpers.go). The answers are measured against the
 * published schemas by registerContractChecks; PATCH bodies here.
 */

export const KUBEFLOW_URL = 'https://model-registry.example.com';
const API = `${KUBEFLOW_URL}/api/model_registry/v1alpha3`;

/** A custom property (MetadataValue). */
type MetadataValue = { metadataType: string; [key: string]: unknown };

export type FakeKubeflowVersion = {
  version: string;
  state?: 'LIVE' | 'ARCHIVED';
  /** Gate metrics, kept as MetadataDoubleValue custom properties. */
  metrics?: Record<string, number>;
  /** Text custom properties (MetadataStringValue), the rejection markers among them. */
  tags?: Record<string, string>;
  /** The model artifact's uri; null: an artifact without one; undefined: the default. */
  uri?: string | null;
  /** No model artifact at all. */
  noArtifact?: boolean;
  modelFormatName?: string;
};

/** The uri a fake version's model artifact has unless it says otherwise. */
export const fakeKubeflowUri = (version: string) =>
  `s3://models/fraud-detector/${version}`;

/**
 * msw handlers for a Kubeflow Model Registry holding `versions` of `model`;
 * a PATCH changes the version's `tags` and `metrics` in place. `patches`
 * collects the PATCH bodies.
 */
export function fakeKubeflow(
  model: string,
  versions: FakeKubeflowVersion[],
  patches: unknown[] = [],
) {
  const notFound = (message: string) =>
    HttpResponse.json({ code: 'Not Found', message }, { status: 404 });
  const idOf = (v: FakeKubeflowVersion) => String(100 + versions.indexOf(v));
  const byId = (id: string) => versions.find(v => idOf(v) === id);
  const properties = (v: FakeKubeflowVersion) => {
    const out: Record<string, MetadataValue> = {};
    for (const [key, value] of Object.entries(v.metrics ?? {})) {
      out[key] = { metadataType: 'MetadataDoubleValue', double_value: value };
    }
    for (const [key, value] of Object.entries(v.tags ?? {})) {
      out[key] = { metadataType: 'MetadataStringValue', string_value: value };
    }
    return out;
  };
  const modelVersion = (v: FakeKubeflowVersion) => ({
    id: idOf(v),
    name: v.version,
    registeredModelId: '1',
    state: v.state ?? 'LIVE',
    author: 'ada',
    createTimeSinceEpoch: '1764000000000',
    lastUpdateTimeSinceEpoch: '1764000000000',
    customProperties: properties(v),
  });
  return [
    http.get(`${API}/registered_model`, ({ request }) => {
      const name = new URL(request.url).searchParams.get('name');
      if (name !== model) {
        return notFound(`no registered models found for name=${name}`);
      }
      return HttpResponse.json({
        id: '1',
        name: model,
        state: 'LIVE',
        customProperties: {},
        createTimeSinceEpoch: '1764000000000',
        lastUpdateTimeSinceEpoch: '1764000000000',
      });
    }),
    http.get(`${API}/model_version`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const v = versions.find(x => x.version === q.get('name'));
      if (q.get('parentResourceId') !== '1' || !v) {
        return notFound(`no model versions found for name=${q.get('name')}`);
      }
      return HttpResponse.json(modelVersion(v));
    }),
    http.get(`${API}/model_versions/:id`, ({ params }) => {
      const v = byId(String(params.id));
      if (!v) return notFound(`no model version found for id ${params.id}`);
      return HttpResponse.json(modelVersion(v));
    }),
    http.get(`${API}/model_versions/:id/artifacts`, ({ params }) => {
      const v = byId(String(params.id));
      if (!v) return notFound(`no model version found for id ${params.id}`);
      const uri = v.uri === undefined ? fakeKubeflowUri(v.version) : v.uri;
      const items = v.noArtifact
        ? []
        : [
            {
              id: String(200 + versions.indexOf(v)),
              artifactType: 'model-artifact',
              name: `${model}-${v.version}`,
              ...(uri !== null ? { uri } : {}),
              state: 'LIVE',
              ...(v.modelFormatName
                ? { modelFormatName: v.modelFormatName }
                : {}),
              customProperties: {},
              createTimeSinceEpoch: '1764000000000',
              lastUpdateTimeSinceEpoch: '1764000000000',
            },
          ];
      return HttpResponse.json({
        items,
        nextPageToken: '',
        pageSize: 100,
        size: items.length,
      });
    }),
    http.patch(`${API}/model_versions/:id`, async ({ params, request }) => {
      const v = byId(String(params.id));
      if (!v) return notFound(`no model version found for id ${params.id}`);
      const body = (await request.json()) as {
        customProperties?: Record<string, MetadataValue>;
      };
      patches.push(body);
      const problems = kubeflowContractProblems('ModelVersionUpdate', body);
      if (problems.length > 0) {
        return HttpResponse.json(
          { code: 'Bad Request', message: problems.join('; ') },
          { status: 400 },
        );
      }
      if (body.customProperties) {
        // The whole map replaces the version's, as the registry's UI sends it.
        const tags: Record<string, string> = {};
        const metrics: Record<string, number> = {};
        for (const [key, value] of Object.entries(body.customProperties)) {
          if (value.metadataType === 'MetadataStringValue') {
            tags[key] = String(value.string_value);
          } else if (value.metadataType === 'MetadataDoubleValue') {
            metrics[key] = Number(value.double_value);
          }
        }
        v.tags = tags;
        v.metrics = metrics;
      }
      return HttpResponse.json(modelVersion(v));
    }),
  ];
}
