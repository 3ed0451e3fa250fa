/**
 * @jest-environment node
 */
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

import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlflowClient } from './MlflowClient';
import { REJECTION_TAGS } from './deployable';
import { mlflowContractProblems, mlflowRequestProblems } from '../../testUtils';

/*
 * The writes, against msw handlers that keep tags the way MLflow's SQL store
 * does (set_model_version_tag / delete_model_version_tag in
 * mlflow/store/model_registry/sqlalchemy_store.py): a missing model or
 * version is RESOURCE_DOES_NOT_EXIST (404), a tag that is not set is deleted
 * without complaint, and both answer the empty response message `{}`.
 */

const BASE = 'https://mlflow.example.com';
const API = `${BASE}/api/2.0/mlflow`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

type Call = {
  method: string;
  endpoint: string;
  contentType: string | null;
  authorization: string | null;
  body: Record<string, string>;
};

/** A registry with fraud-detector version 12 and its tags. */
function registry(tags: Record<string, string> = {}) {
  const calls: Call[] = [];
  const versions = new Map([['fraud-detector\u000012', { ...tags }]]);
  const answer = async (request: Request, endpoint: string) => {
    const body = (await request.json()) as Record<string, string>;
    calls.push({
      method: request.method,
      endpoint,
      contentType: request.headers.get('content-type'),
      authorization: request.headers.get('authorization'),
      body,
    });
    const own = versions.get(`${body.name}\u0000${body.version}`);
    if (!own) {
      return HttpResponse.json(
        {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `Model Version (name=${body.name}, version=${body.version}) not found`,
        },
        { status: 404 },
      );
    }
    if (endpoint === 'set-tag') own[body.key] = body.value;
    else delete own[body.key];
    return HttpResponse.json({});
  };
  server.use(
    http.post(`${API}/model-versions/set-tag`, ({ request }) =>
      answer(request, 'set-tag'),
    ),
    http.delete(`${API}/model-versions/delete-tag`, ({ request }) =>
      answer(request, 'delete-tag'),
    ),
  );
  return { calls, tags: () => versions.get('fraud-detector\u000012')! };
}

const client = (options: { token?: string } = {}) =>
  MlflowClient.create({ baseUrl: BASE, timeoutMs: 500, ...options });

describe('MlflowClient writes', () => {
  it("answers and requests as MLflow's contract says", () => {
    expect(mlflowContractProblems('POST model-versions/set-tag', {})).toEqual(
      [],
    );
    expect(
      mlflowContractProblems('DELETE model-versions/delete-tag', {}),
    ).toEqual([]);
    expect(
      mlflowRequestProblems('DELETE model-versions/delete-tag', {
        name: 'm',
        version: '1',
      }),
    ).toEqual([
      'DeleteModelVersionTag.key is missing (MLflow always sends it)',
    ]);
  });

  it('sets a tag with POST model-versions/set-tag and a JSON body', async () => {
    const mlflow = registry();
    await client({ token: 't' }).setModelVersionTag(
      'fraud-detector',
      '12',
      'team',
      'risk',
    );
    expect(mlflow.calls).toEqual([
      {
        method: 'POST',
        endpoint: 'set-tag',
        contentType: 'application/json',
        authorization: 'Bearer t',
        body: {
          name: 'fraud-detector',
          version: '12',
          key: 'team',
          value: 'risk',
        },
      },
    ]);
    expect(
      mlflowRequestProblems(
        'POST model-versions/set-tag',
        mlflow.calls[0].body,
      ),
    ).toEqual([]);
    expect(mlflow.tags()).toEqual({ team: 'risk' });
  });

  it('deletes a tag with DELETE and a JSON body; a tag that is not set is no error', async () => {
    const mlflow = registry({ team: 'risk' });
    await client().deleteModelVersionTag('fraud-detector', '12', 'team');
    await client().deleteModelVersionTag('fraud-detector', '12', 'team');
    expect(mlflow.calls.map(c => [c.method, c.contentType, c.body])).toEqual([
      [
        'DELETE',
        'application/json',
        { name: 'fraud-detector', version: '12', key: 'team' },
      ],
      [
        'DELETE',
        'application/json',
        { name: 'fraud-detector', version: '12', key: 'team' },
      ],
    ]);
    expect(
      mlflowRequestProblems(
        'DELETE model-versions/delete-tag',
        mlflow.calls[0].body,
      ),
    ).toEqual([]);
    expect(mlflow.tags()).toEqual({});
  });

  it('takes RESOURCE_DOES_NOT_EXIST that names the tag as deleted', async () => {
    server.use(
      http.delete(`${API}/model-versions/delete-tag`, () =>
        HttpResponse.json(
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: 'Model version tag with key team not found',
          },
          { status: 404 },
        ),
      ),
    );
    await expect(
      client().deleteModelVersionTag('fraud-detector', '12', 'team'),
    ).resolves.toBeUndefined();
  });

  it('a missing version is a NotFoundError for both writes', async () => {
    registry();
    const setting = client().setModelVersionTag(
      'fraud-detector',
      '99',
      'k',
      'v',
    );
    await expect(setting).rejects.toThrow(NotFoundError);
    await expect(setting).rejects.toThrow(
      'fraud-detector version 99 does not exist in MLflow at https://mlflow.example.com (Model Version (name=fraud-detector, version=99) not found); check the model name and version',
    );
    await expect(
      client().deleteModelVersionTag('other', '12', 'k'),
    ).rejects.toThrow(NotFoundError);
  });

  it('rejects: reason, who and when first, validation_status last', async () => {
    const mlflow = registry({ team: 'risk' });
    await client().rejectModelVersion('fraud-detector', '12', {
      reason: '  p95 latency doubled ',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
    expect(mlflow.calls.map(c => c.body.key)).toEqual([
      REJECTION_TAGS.reason,
      REJECTION_TAGS.by,
      REJECTION_TAGS.at,
      REJECTION_TAGS.status,
    ]);
    expect(mlflow.tags()).toEqual({
      team: 'risk',
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': 'p95 latency doubled',
      'ml-gitops.rejected_by': 'user:default/alice',
      'ml-gitops.rejected_at': '2026-12-06T07:00:00Z',
    });
  });

  it('rejects at the current time when none is given', async () => {
    const mlflow = registry();
    const before = Date.now();
    await client().rejectModelVersion('fraud-detector', '12', {
      reason: 'r',
      by: 'user:default/bob',
    });
    const at = Date.parse(mlflow.tags()[REJECTION_TAGS.at]);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    [{ reason: ' ', by: 'user:default/a' }, 'needs a reason'],
    [{ reason: 'r', by: '' }, 'needs who rejects it'],
    [
      { reason: 'r', by: 'user:default/a', at: 'yesterday' },
      'the time "yesterday" is not ISO 8601; use e.g. 2026-12-06T07:00:00Z',
    ],
  ])('refuses to reject with %j before any request', async (input, message) => {
    const mlflow = registry();
    const rejecting = client().rejectModelVersion(
      'fraud-detector',
      '12',
      input,
    );
    await expect(rejecting).rejects.toThrow(InputError);
    await expect(rejecting).rejects.toThrow(message);
    expect(mlflow.calls).toEqual([]);
  });

  it('un-rejects: validation_status first, then the rest; again is harmless', async () => {
    const mlflow = registry({
      team: 'risk',
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': 'r',
      'ml-gitops.rejected_by': 'user:default/alice',
      'ml-gitops.rejected_at': '2026-12-06T07:00:00Z',
    });
    await client().unrejectModelVersion('fraud-detector', '12');
    await client().unrejectModelVersion('fraud-detector', '12');
    expect(mlflow.calls.slice(0, 4).map(c => c.body.key)).toEqual([
      REJECTION_TAGS.status,
      REJECTION_TAGS.reason,
      REJECTION_TAGS.by,
      REJECTION_TAGS.at,
    ]);
    expect(mlflow.tags()).toEqual({ team: 'risk' });
  });

  describe('failures, as for reads', () => {
    it('403 on set-tag names EDIT, on delete-tag MANAGE', async () => {
      const forbidden = () =>
        new HttpResponse('Permission denied', {
          status: 403,
          headers: { 'content-type': 'text/html; charset=utf-8' },
        });
      server.use(
        http.post(`${API}/model-versions/set-tag`, forbidden),
        http.delete(`${API}/model-versions/delete-tag`, forbidden),
      );
      const basic = MlflowClient.create({
        baseUrl: BASE,
        username: 'ci',
        password: 'pw',
        credentialsHint: 'mlGitops.registries[mlflow-default]',
      });
      const setting = basic.setModelVersionTag('m', '1', 'k', 'v');
      await expect(setting).rejects.toThrow(NotAllowedError);
      await expect(setting).rejects.toThrow(
        'MLflow at https://mlflow.example.com answered 403 on model-versions/set-tag (Permission denied): give the configured MLflow user EDIT permission on the registered model, or change mlGitops.registries[mlflow-default]',
      );
      await expect(basic.deleteModelVersionTag('m', '1', 'k')).rejects.toThrow(
        'give the configured MLflow user MANAGE permission on the registered model',
      );
    });

    it('401 is an AuthenticationError', async () => {
      server.use(
        http.post(
          `${API}/model-versions/set-tag`,
          () => new HttpResponse('no', { status: 401 }),
        ),
      );
      await expect(
        client({ token: 'old' }).setModelVersionTag('m', '1', 'k', 'v'),
      ).rejects.toThrow(AuthenticationError);
    });

    it('an invalid parameter is an InputError with MLflow’s message', async () => {
      server.use(
        http.post(`${API}/model-versions/set-tag`, () =>
          HttpResponse.json(
            {
              error_code: 'INVALID_PARAMETER_VALUE',
              message: 'Tag value exceeded maximum length of 5000',
            },
            { status: 400 },
          ),
        ),
      );
      await expect(
        client().setModelVersionTag('m', '1', 'k', 'v'.repeat(6000)),
      ).rejects.toThrow(
        'MLflow at https://mlflow.example.com rejected model-versions/set-tag (400 INVALID_PARAMETER_VALUE): Tag value exceeded maximum length of 5000',
      );
    });

    it('5xx, an answer that is not JSON and a timeout are ServiceUnavailableErrors', async () => {
      server.use(
        http.post(`${API}/model-versions/set-tag`, () =>
          HttpResponse.json(
            { error_code: 'INTERNAL_ERROR', message: 'db down' },
            { status: 500 },
          ),
        ),
        http.delete(
          `${API}/model-versions/delete-tag`,
          () => new HttpResponse('<html>proxy</html>', { status: 200 }),
        ),
      );
      await expect(
        client().setModelVersionTag('m', '1', 'k', 'v'),
      ).rejects.toThrow(ServiceUnavailableError);
      await expect(
        client().deleteModelVersionTag('m', '1', 'k'),
      ).rejects.toThrow(
        'sent a response to model-versions/delete-tag that is not JSON',
      );
      server.use(
        http.post(`${API}/model-versions/set-tag`, async () => {
          await delay(2000);
          return HttpResponse.json({});
        }),
      );
      await expect(
        client().setModelVersionTag('m', '1', 'k', 'v'),
      ).rejects.toThrow('did not answer within 0.5s');
    });
  });
});
