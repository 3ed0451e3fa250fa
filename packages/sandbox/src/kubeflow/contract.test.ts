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
 * The Kubeflow Model Registry emulator, as the product reads it: the real
 * KubeflowClient of @ml-gitops/plugin-ml-gitops-common against the running
 * sandbox, and every answer measured against the registry's OpenAPI
 * contract (contracts/kubeflow/openapiContract.json in its testUtils, sliced
 * from kubeflow/model-registry api/openapi/model-registry.yaml).
 */

import {
  isKubeflowVersionReady,
  KubeflowClient,
  kubeflowServingArtifact,
  kubeflowVersionRejection,
  KUBEFLOW_API_PATH,
} from '@ml-gitops/plugin-ml-gitops-common';
import { kubeflowContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from '../__testUtils__/useSandbox';
import { DEFAULT_PORTS, SANDBOX_CREDENTIALS } from '../sandbox';

jest.setTimeout(60_000);

const sandbox = useSandbox({ drift: false });

const client = (
  token: string | undefined = SANDBOX_CREDENTIALS.kubeflow.token,
) => KubeflowClient.create({ baseUrl: sandbox().urls.kubeflow, token });

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(
    `${sandbox().urls.kubeflow}${KUBEFLOW_API_PATH}${path}`,
    {
      method,
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS.kubeflow.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );
  return { status: res.status, json: await res.json() };
};

/**
 * A RegisteredModelList or ModelVersionList: its items checked one by one,
 * its paging fields through ArtifactList with no items (the contract slices
 * BaseResourceList in only through ArtifactList).
 */
function listProblems(
  schema: 'RegisteredModel' | 'ModelVersion',
  list: { items: unknown[] },
): string[] {
  return [
    ...kubeflowContractProblems('ArtifactList', { ...list, items: [] }),
    ...list.items.flatMap(item => kubeflowContractProblems(schema, item)),
  ];
}

describe("the Kubeflow Model Registry emulator follows the registry's OpenAPI contract", () => {
  it('runs on a port of its own, free in tests', () => {
    expect(DEFAULT_PORTS.kubeflow).toBe(7016);
    expect(sandbox().ports.kubeflow).not.toBe(DEFAULT_PORTS.kubeflow);
  });

  it('serves the seeded demand-forecaster to the real KubeflowClient', async () => {
    const model = await client().findRegisteredModel('demand-forecaster');
    expect(model).toMatchObject({
      name: 'demand-forecaster',
      state: 'LIVE',
      owner: 'grace@example.com',
      properties: { tags: { team: 'growth-ml' } },
    });
    const facts = [];
    for (const name of ['1', '2', '3']) {
      const version = await client().findModelVersion(model!.id, name);
      expect(version).toBeDefined();
      expect(await client().getModelVersion(version!.id)).toEqual(version);
      const artifact = kubeflowServingArtifact(
        await client().listModelArtifacts(version!.id),
      );
      facts.push({
        name,
        ready: isKubeflowVersionReady(version!, artifact),
        uri: artifact?.uri,
        format: artifact?.modelFormatName,
        auc: version!.properties.metrics.auc,
        rows: version!.properties.metrics.training_rows,
      });
    }
    expect(facts).toEqual([
      {
        name: '1',
        ready: false,
        uri: 's3://models/demand-forecaster/1',
        format: 'sklearn',
        auc: 0.81,
        rows: 180000,
      },
      {
        name: '2',
        ready: true,
        uri: 's3://models/demand-forecaster/2',
        format: 'sklearn',
        auc: 0.88,
        rows: 240000,
      },
      {
        name: '3',
        ready: true,
        uri: 's3://models/demand-forecaster/3',
        format: 'sklearn',
        auc: 0.91,
        rows: 410000,
      },
    ]);
    expect(await client().findRegisteredModel('nope')).toBeUndefined();
    expect(await client().findModelVersion(model!.id, '99')).toBeUndefined();
    expect(await client().getModelVersion('999')).toBeUndefined();
  });

  it('refuses the client without the token, and with another one', async () => {
    await expect(
      client('').findRegisteredModel('demand-forecaster'),
    ).rejects.toMatchObject({
      name: 'AuthenticationError',
      message: expect.stringMatching(/it needs a bearer token/),
    });
    await expect(
      client('other').findRegisteredModel('demand-forecaster'),
    ).rejects.toThrow(/token.*is not accepted/);
  });

  it('takes the test controls faults, answering in the Error schema', async () => {
    const admin = (mode: string) =>
      fetch(`${sandbox().urls.admin}/_sandbox/faults/kubeflow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode }),
      });
    try {
      expect((await admin('unavailable')).status).toBe(200);
      const res = await call('GET', '/registered_models');
      expect(res.status).toBe(503);
      expect(kubeflowContractProblems('Error', res.json)).toEqual([]);
      await expect(
        client().findRegisteredModel('demand-forecaster'),
      ).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
      await admin('unauthorized');
      await expect(
        client().findRegisteredModel('demand-forecaster'),
      ).rejects.toMatchObject({ name: 'AuthenticationError' });
    } finally {
      await admin('none');
    }
    expect(
      await client().findRegisteredModel('demand-forecaster'),
    ).toBeDefined();
  });

  it('answers in the schemas of the contract', async () => {
    const model = await call('GET', '/registered_model?name=demand-forecaster');
    expect(kubeflowContractProblems('RegisteredModel', model.json)).toEqual([]);
    expect(
      kubeflowContractProblems(
        'RegisteredModel',
        (await call('GET', `/registered_models/${model.json.id}`)).json,
      ),
    ).toEqual([]);
    expect(
      listProblems(
        'RegisteredModel',
        (await call('GET', '/registered_models?pageSize=1')).json,
      ),
    ).toEqual([]);
    const versions = await call(
      'GET',
      `/registered_models/${model.json.id}/versions?pageSize=2&orderBy=CREATE_TIME&sortOrder=DESC`,
    );
    expect(versions.json.nextPageToken).not.toBe('');
    expect(listProblems('ModelVersion', versions.json)).toEqual([]);
    expect(
      listProblems('ModelVersion', (await call('GET', '/model_versions')).json),
    ).toEqual([]);
    const version = await call(
      'GET',
      `/model_version?name=2&parentResourceId=${model.json.id}`,
    );
    expect(kubeflowContractProblems('ModelVersion', version.json)).toEqual([]);
    expect(
      kubeflowContractProblems(
        'ArtifactList',
        (
          await call(
            'GET',
            `/model_versions/${version.json.id}/artifacts?artifactType=model-artifact`,
          )
        ).json,
      ),
    ).toEqual([]);
    for (const path of [
      '/registered_model?name=nope',
      '/model_versions/999',
      '/model_versions/abc',
      '/registered_models?pageSize=x',
    ]) {
      const res = await call('GET', path);
      expect([path, res.status < 500]).toEqual([path, true]);
      expect(kubeflowContractProblems('Error', res.json)).toEqual([]);
    }
  });

  it('registers a new version a pipeline writes, and the client reads it and its rejection', async () => {
    const model = (
      await call('GET', '/registered_model?name=demand-forecaster')
    ).json;
    const created = await call(
      'POST',
      `/registered_models/${model.id}/versions`,
      {
        name: '4',
        author: 'ada@example.com',
        customProperties: {
          auc: { metadataType: 'MetadataDoubleValue', double_value: 0.93 },
        },
      },
    );
    expect(created.status).toBe(201);
    expect(kubeflowContractProblems('ModelVersion', created.json)).toEqual([]);
    const artifact = await call(
      'POST',
      `/model_versions/${created.json.id}/artifacts`,
      {
        artifactType: 'model-artifact',
        uri: 's3://models/demand-forecaster/4',
        modelFormatName: 'sklearn',
        modelFormatVersion: '1',
        state: 'LIVE',
      },
    );
    expect(artifact.status).toBe(201);
    expect(
      kubeflowContractProblems('ArtifactList', {
        items: [artifact.json],
        nextPageToken: '',
        pageSize: 0,
        size: 1,
      }),
    ).toEqual([]);
    const read = await client().findModelVersion(model.id, '4');
    expect(read).toMatchObject({
      state: 'LIVE',
      properties: { metrics: { auc: 0.93 } },
    });
    expect(
      isKubeflowVersionReady(
        read!,
        kubeflowServingArtifact(await client().listModelArtifacts(read!.id)),
      ),
    ).toBe(true);
    expect(kubeflowVersionRejection(read!)).toBeUndefined();

    const patched = await call('PATCH', `/model_versions/${read!.id}`, {
      customProperties: {
        auc: { metadataType: 'MetadataDoubleValue', double_value: 0.93 },
        validation_status: {
          metadataType: 'MetadataStringValue',
          string_value: 'rejected',
        },
        'ml-gitops.rejected_reason': {
          metadataType: 'MetadataStringValue',
          string_value: 'bias audit failed',
        },
      },
    });
    expect(kubeflowContractProblems('ModelVersion', patched.json)).toEqual([]);
    expect(
      kubeflowVersionRejection((await client().getModelVersion(read!.id))!),
    ).toMatchObject({ reason: 'bias audit failed' });
  });
});
