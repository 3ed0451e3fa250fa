/*
 * The msw fixture of MLflow the action tests use answers in MLflow's shapes:
 * each answer is measured against MLflow's REST contract
 * (@ml-gitops/plugin-ml-gitops-common/testUtils, from
 * mlflow/protos/model_registry.proto and service.proto).
 */
import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { mlflowResponseProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import { fakeMlflow, MLFLOW_URL } from './setup';

const server = setupServer();
registerMswTestHooks(server);

const API = `${MLFLOW_URL}/api/2.0/mlflow`;

describe('fakeMlflow', () => {
  it.each([
    [
      'a READY version with tags and metrics',
      { version: '13', tags: { team: 'risk' }, metrics: { auc: 0.95 } },
    ],
    ['a bare version', { version: '13' }],
    [
      'a version whose registration failed',
      {
        version: '13',
        status: 'FAILED_REGISTRATION',
        statusMessage: 'upload failed',
      },
    ],
  ])('answers %s as MLflow does', async (_what, version) => {
    server.use(...fakeMlflow('fraud-detector', [version]));
    expect(
      await mlflowResponseProblems(
        'GET model-versions/get',
        await fetch(`${API}/model-versions/get?name=fraud-detector&version=13`),
      ),
    ).toEqual([]);
    expect(
      await mlflowResponseProblems(
        'GET runs/get',
        await fetch(`${API}/runs/get?run_id=run-13`),
      ),
    ).toEqual([]);
    expect(
      await mlflowResponseProblems(
        'GET model-versions/get',
        await fetch(`${API}/model-versions/get?name=fraud-detector&version=99`),
      ),
    ).toEqual([]);
  });
});
