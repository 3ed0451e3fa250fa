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

import { jsonSchemaProblems } from './jsonSchema';
import {
  answerContractProblems,
  argoCdContractProblems,
  githubContractProblems,
  githubOperationOf,
  KUBE_CONTRACT_KINDS,
  kubeContractProblems,
} from './publishedContracts';

const label = {
  id: 1,
  node_id: 'LA_1',
  url: 'https://api.github.com/repos/acme/x/labels/ml-gitops',
  name: 'ml-gitops',
  description: null,
  color: 'ededed',
  default: false,
};

describe('the JSON schema checks', () => {
  const schema = {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      when: { type: 'string', format: 'date-time' },
      parent: { $ref: '#/definitions/node', nullable: true },
      kind: { type: 'string', enum: ['a', 'b'] },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
      any: { type: 'object' },
      either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    },
    definitions: {},
  };
  const definitions = { node: schema };
  const problems = (value: unknown) =>
    jsonSchemaProblems(schema, value, { definitions, owner: "X's" });

  it('accepts what the schema allows', () => {
    expect(
      problems({
        name: 'n',
        when: '2026-01-02T03:04:05Z',
        parent: null,
        kind: 'a',
        tags: { a: 'b' },
        any: { whatever: [1] },
        either: 3,
      }),
    ).toEqual([]);
  });

  it('names invented, missing and mistyped properties', () => {
    expect(
      problems({
        when: 1764240000,
        parent: { name: 'p', extra: true },
        kind: 'c',
        tags: { a: 1 },
        either: false,
        invented: 1,
      }),
    ).toEqual([
      "$.name is missing (required by X's schema)",
      "$.when must be a string (X's schema), got 1764240000",
      "$.parent.extra is not a property of X's node",
      '$.kind must be one of a, b (X\'s schema), got "c"',
      "$.tags.a must be a string (X's schema), got 1",
      "$.either matches none of the 2 schemas X's schema allows there; the closest says:",
      "  $.either must be a string (X's schema), got false",
      "$.invented is not a property of X's schema",
    ]);
  });
});

describe('the published contracts', () => {
  it("finds the GitHub operation of a request's path", () => {
    expect(githubOperationOf('GET', '/repos/a/b/commits/abc/pulls')).toBe(
      'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
    );
    expect(githubOperationOf('GET', '/repos/a/b/git/ref/heads/x/y')).toBe(
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
    );
    expect(
      githubOperationOf('PUT', '/api/v3/repos/a/b/contents/deploy/model.yaml'),
    ).toBe('PUT /repos/{owner}/{repo}/contents/{path}');
    expect(githubOperationOf('GET', '/repos/a/b?x=1')).toBe(
      'GET /repos/{owner}/{repo}',
    );
    expect(githubOperationOf('DELETE', '/repos/a/b')).toBeUndefined();
  });

  it("checks GitHub answers against GitHub's OpenAPI description", () => {
    const labels = 'POST /repos/{owner}/{repo}/issues/{issue_number}/labels';
    expect(githubContractProblems(labels, [label])).toEqual([]);
    expect(githubContractProblems(labels, [{ ...label, colour: 'x' }])).toEqual(
      ["$[0].colour is not a property of GitHub's label"],
    );
    const { node_id, ...withoutNodeId } = label;
    expect(githubContractProblems(labels, [withoutNodeId])).toEqual([
      "$[0].node_id is missing (required by GitHub's label)",
    ]);
    expect(
      githubContractProblems(labels, { message: 'Not Found' }, 404),
    ).toEqual([]);
  });

  it("checks Argo CD answers against Argo CD's swagger", () => {
    expect(
      argoCdContractProblems('v1alpha1Application', {
        metadata: { name: 'a', namespace: 'argocd' },
        spec: { destination: {}, project: 'default' },
        status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
      }),
    ).toEqual([]);
    expect(
      argoCdContractProblems('v1alpha1Application', {
        status: { sync: { state: 'Synced' } },
      }),
    ).toEqual([
      "$.status.sync.state is not a property of Argo CD's v1alpha1SyncStatus",
    ]);
  });

  it('checks Kubeflow Model Registry answers by their path', () => {
    const api = 'https://mr.example.com/api/model_registry/v1alpha3';
    expect(
      answerContractProblems('GET', `${api}/model_versions/7`, 200, {
        id: 7,
        name: '3',
        registeredModelId: '1',
      }),
    ).toEqual([expect.stringMatching(/^\$\.id must be a string/)]);
    expect(
      answerContractProblems('GET', `${api}/model_version?name=3`, 404, {
        code: 'Not Found',
        message: 'no model versions found',
      }),
    ).toEqual([]);
    expect(
      answerContractProblems('GET', `${api}/model_versions/7/artifacts`, 200, {
        items: [],
        nextPageToken: '',
        pageSize: 100,
        size: 0,
      }),
    ).toEqual([]);
  });

  it('checks custom resources against their CRD schemas', () => {
    expect(KUBE_CONTRACT_KINDS).toEqual({
      Kustomization: 'kustomize.toolkit.fluxcd.io/v1',
      HelmRelease: 'helm.toolkit.fluxcd.io/v2',
      GitRepository: 'source.toolkit.fluxcd.io/v1',
      InferenceService: 'serving.kserve.io/v1beta1',
      AnalysisRun: 'argoproj.io/v1alpha1',
    });
    const kustomization = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'k', namespace: 'flux-system' },
      spec: {
        interval: '1m',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'k' },
      },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'ReconciliationSucceeded',
            message: 'Applied revision: dev@sha1:abc',
            lastTransitionTime: '2026-01-02T03:04:05Z',
          },
        ],
        lastAppliedRevision: 'dev@sha1:abc',
      },
    };
    expect(kubeContractProblems(kustomization)).toEqual([]);
    expect(
      kubeContractProblems({
        ...kustomization,
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1beta2',
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    ).toEqual([
      '$.apiVersion is kustomize.toolkit.fluxcd.io/v1beta2; the CRD serves kustomize.toolkit.fluxcd.io/v1',
      "$.status.conditions[0].lastTransitionTime is missing (required by the Kustomization CRD's schema)",
      "$.status.conditions[0].message is missing (required by the Kustomization CRD's schema)",
      "$.status.conditions[0].reason is missing (required by the Kustomization CRD's schema)",
    ]);
    expect(
      kubeContractProblems({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name: 'm' },
        spec: {
          predictor: {
            minReplicas: 1,
            model: { modelFormat: { name: 'sklearn' }, storageUri: 'x' },
            replica: 2,
          },
        },
        // KServe keeps unknown status fields (x-kubernetes-preserve-unknown-fields).
        status: { url: 3, modelVersion: '3' },
      }),
    ).toEqual([
      "$.spec.predictor.replica is not a property of the InferenceService CRD's schema",
      "$.status.url must be a string (the InferenceService CRD's schema), got 3",
    ]);
    expect(
      kubeContractProblems({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisRun',
        metadata: { name: 'r' },
        spec: { metrics: [{ name: 'm', provider: { job: {} } }] },
        status: { phase: 'Successful', metricResults: [{ name: 'm' }] },
      }),
    ).toEqual([
      "$.status.metricResults[0].phase is missing (required by the AnalysisRun CRD's schema)",
    ]);
  });
});
