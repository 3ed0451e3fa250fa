/**
 * @jest-environment node
 */
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { MlflowClient } from './MlflowClient';
import { modelVersionBlockers } from './deployable';
import { MlflowApiModelVersion, MlflowApiRun } from './types';

const BASE = 'https://mlflow.example.com';
const API = `${BASE}/api/2.0/mlflow`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const VERSION_12: MlflowApiModelVersion = {
  name: 'fraud-detector',
  version: '12',
  creation_timestamp: 1764240000000,
  last_updated_timestamp: 1764243600000,
  current_stage: 'None',
  description: '',
  source: 'models:/m-abc',
  run_id: 'run-12',
  status: 'READY',
  tags: [{ key: 'validation_status', value: 'approved' }],
  run_link: '',
  aliases: ['champion'],
};

const RUN_12: MlflowApiRun = {
  info: {
    run_id: 'run-12',
    run_name: 'train-12',
    experiment_id: '3',
    status: 'FINISHED',
    lifecycle_stage: 'active',
  },
  data: {
    metrics: [
      { key: 'auc', value: 0.91, timestamp: 1, step: 0 },
      { key: 'auc', value: 0.95, timestamp: 2, step: 1 },
      { key: 'latency_p95_ms', value: 31, timestamp: 2, step: 0 },
      { key: 'loss', value: 'NaN', timestamp: 2, step: 0 },
    ],
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 'mlflow.user', value: 'ada' }],
  },
};

const notFound = (message: string) =>
  HttpResponse.json(
    { error_code: 'RESOURCE_DOES_NOT_EXIST', message },
    { status: 404 },
  );

function client(token?: string) {
  return MlflowClient.create({ baseUrl: `${BASE}/`, token, timeoutMs: 500 });
}

describe('MlflowClient', () => {
  it('gets a model version and normalises it', async () => {
    server.use(
      http.get(`${API}/model-versions/get`, ({ request }) => {
        const url = new URL(request.url);
        if (
          url.searchParams.get('name') !== 'fraud-detector' ||
          url.searchParams.get('version') !== '12'
        ) {
          return notFound('nope');
        }
        return HttpResponse.json({ model_version: VERSION_12 });
      }),
    );
    await expect(
      client().getModelVersion('fraud-detector', '12'),
    ).resolves.toEqual({
      name: 'fraud-detector',
      version: '12',
      status: 'READY',
      stage: 'None',
      runId: 'run-12',
      source: 'models:/m-abc',
      createdAt: '2025-11-27T10:40:00.000Z',
      updatedAt: '2025-11-27T11:40:00.000Z',
      aliases: ['champion'],
      tags: { validation_status: 'approved' },
    });
  });

  it('resolves undefined for a version or model that does not exist', async () => {
    server.use(
      http.get(`${API}/model-versions/get`, () =>
        notFound('Model Version (name=fraud-detector, version=99) not found'),
      ),
      http.get(`${API}/registered-models/get`, () =>
        notFound('Registered Model with name=x not found'),
      ),
      http.get(`${API}/runs/get`, () => notFound('Run with id=x not found')),
    );
    await expect(
      client().getModelVersion('fraud-detector', '99'),
    ).resolves.toBeUndefined();
    await expect(client().getRegisteredModel('x')).resolves.toBeUndefined();
    await expect(client().getRun('x')).resolves.toBeUndefined();
  });

  it('gets a registered model with its aliases', async () => {
    server.use(
      http.get(`${API}/registered-models/get`, () =>
        HttpResponse.json({
          registered_model: {
            name: 'fraud-detector',
            creation_timestamp: 1764240000000,
            last_updated_timestamp: 1764240000000,
            latest_versions: [VERSION_12],
            tags: [{ key: 'team', value: 'risk' }],
            aliases: [{ alias: 'champion', version: '12' }],
          },
        }),
      ),
    );
    const model = await client().getRegisteredModel('fraud-detector');
    expect(model).toMatchObject({
      name: 'fraud-detector',
      aliases: { champion: '12' },
      tags: { team: 'risk' },
      latestVersions: [{ version: '12', status: 'READY' }],
    });
  });

  it('looks up a version by alias, and an unknown alias as undefined', async () => {
    server.use(
      http.get(`${API}/registered-models/alias`, ({ request }) => {
        const alias = new URL(request.url).searchParams.get('alias');
        if (alias === 'champion') {
          return HttpResponse.json({ model_version: VERSION_12 });
        }
        return HttpResponse.json(
          {
            error_code: 'INVALID_PARAMETER_VALUE',
            message: `Registered model alias ${alias} not found.`,
          },
          { status: 400 },
        );
      }),
    );
    await expect(
      client().getModelVersionByAlias('fraud-detector', 'champion'),
    ).resolves.toMatchObject({ version: '12' });
    await expect(
      client().getModelVersionByAlias('fraud-detector', 'production'),
    ).resolves.toBeUndefined();
  });

  it('gets a run with the latest value of each metric', async () => {
    server.use(
      http.get(`${API}/runs/get`, ({ request }) =>
        new URL(request.url).searchParams.get('run_id') === 'run-12'
          ? HttpResponse.json({ run: RUN_12 })
          : notFound('no run'),
      ),
    );
    const run = await client().getRun('run-12');
    expect(run).toEqual({
      runId: 'run-12',
      runName: 'train-12',
      experimentId: '3',
      status: 'FINISHED',
      lifecycleStage: 'active',
      metrics: { auc: 0.95, latency_p95_ms: 31, loss: NaN },
      params: { lr: '0.1' },
      tags: { 'mlflow.user': 'ada' },
    });
  });

  it('sends the token as a bearer token, and none without one', async () => {
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${API}/model-versions/get`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return HttpResponse.json({ model_version: VERSION_12 });
      }),
    );
    await client('s3cret').getModelVersion('fraud-detector', '12');
    await client().getModelVersion('fraud-detector', '12');
    expect(seen).toEqual(['Bearer s3cret', null]);
  });

  it('keeps a path prefix of the base URL', async () => {
    server.use(
      http.get(`${BASE}/mlflow/api/2.0/mlflow/model-versions/get`, () =>
        HttpResponse.json({ model_version: VERSION_12 }),
      ),
    );
    const prefixed = MlflowClient.create({ baseUrl: `${BASE}/mlflow` });
    await expect(
      prefixed.getModelVersion('fraud-detector', '12'),
    ).resolves.toBeDefined();
  });

  describe('failures', () => {
    it('401 is an AuthenticationError that says what to do', async () => {
      server.use(
        http.get(
          `${API}/model-versions/get`,
          () => new HttpResponse('Unauthorized', { status: 401 }),
        ),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toBe(
        'MLflow at https://mlflow.example.com refused the request as unauthenticated (401); pass a token',
      );
      await expect(client('bad').getModelVersion('m', '1')).rejects.toThrow(
        'the token is invalid or expired',
      );
    });

    it('403 is a NotAllowedError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'PERMISSION_DENIED', message: 'no' },
            { status: 403 },
          ),
        ),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toBeInstanceOf(
        NotAllowedError,
      );
    });

    it("5xx is a ServiceUnavailableError with MLflow's message", async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'INTERNAL_ERROR', message: 'database is locked' },
            { status: 500 },
          ),
        ),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.message).toContain(
        '(500 INTERNAL_ERROR: database is locked)',
      );
    });

    it('another 400 is an InputError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad version' },
            { status: 400 },
          ),
        ),
      );
      await expect(client().getModelVersion('m', 'x')).rejects.toBeInstanceOf(
        InputError,
      );
    });

    it('an unreachable server is a ServiceUnavailableError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () => HttpResponse.error()),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.message).toMatch(
        /^MLflow at https:\/\/mlflow.example.com is unreachable/,
      );
    });

    it('a slow server times out', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, async () => {
          await delay(2000);
          return HttpResponse.json({ model_version: VERSION_12 });
        }),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toThrow(
        'did not answer within 0.5s',
      );
    });

    it('something that is not MLflow is reported as such', async () => {
      server.use(
        http.get(
          `${API}/model-versions/get`,
          () => new HttpResponse('<html>login</html>', { status: 200 }),
        ),
        http.get(`${API}/runs/get`, () =>
          HttpResponse.json({ hello: 'world' }),
        ),
        http.get(
          `${API}/registered-models/get`,
          () => new HttpResponse('Not Found', { status: 404 }),
        ),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toThrow(
        'is not JSON',
      );
      await expect(client().getRun('r')).rejects.toThrow(
        'unexpected runs/get response',
      );
      await expect(client().getRegisteredModel('m')).rejects.toThrow(
        'has no registered-models/get endpoint (404)',
      );
    });

    it('refuses invalid base URLs', () => {
      expect(() => MlflowClient.create({ baseUrl: 'mlflow' })).toThrow(
        InputError,
      );
      expect(() => MlflowClient.create({ baseUrl: 'ftp://x' })).toThrow(
        'http:// or https://',
      );
      expect(() => MlflowClient.create({ baseUrl: 'https://u:p@x' })).toThrow(
        'credentials',
      );
    });
  });
});

describe('modelVersionBlockers', () => {
  const base = {
    name: 'fraud-detector',
    version: '12',
    status: 'READY',
    aliases: [],
    tags: {},
  };

  it('accepts a READY version', () => {
    expect(modelVersionBlockers({ ...base, stage: 'Production' })).toEqual([]);
  });

  it('refuses a version that is not READY', () => {
    expect(
      modelVersionBlockers({
        ...base,
        status: 'FAILED_REGISTRATION',
        statusMessage: 'upload failed',
      }),
    ).toEqual([
      'fraud-detector version 12 is FAILED_REGISTRATION, not READY (upload failed)',
    ]);
    expect(
      modelVersionBlockers({ ...base, status: 'PENDING_REGISTRATION' }),
    ).toHaveLength(1);
  });

  it('refuses an archived version', () => {
    expect(modelVersionBlockers({ ...base, stage: 'Archived' })).toEqual([
      'fraud-detector version 12 is in the Archived stage',
    ]);
  });

  it('refuses a version tagged validation_status=rejected', () => {
    expect(
      modelVersionBlockers({
        ...base,
        tags: { validation_status: 'Rejected' },
      }),
    ).toEqual([
      'fraud-detector version 12 is tagged validation_status=Rejected',
    ]);
  });
});
