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

import { mlflowContractProblems } from './mlflowContract';

const version = {
  name: 'fraud-detector',
  version: '12',
  creation_timestamp: 1764240000000,
  current_stage: 'None',
  status: 'READY',
  tags: [{ key: 'team', value: 'risk' }],
};

describe("MLflow's REST contract", () => {
  it('accepts an answer as MLflow writes it', () => {
    expect(
      mlflowContractProblems('GET model-versions/get', {
        model_version: version,
      }),
    ).toEqual([]);
    expect(
      mlflowContractProblems('GET runs/get', {
        run: {
          info: {
            run_id: 'r',
            run_uuid: 'r',
            experiment_id: '1',
            status: 'FINISHED',
            lifecycle_stage: 'active',
          },
          data: {
            metrics: [
              { key: 'loss', value: 'NaN', timestamp: 1, step: 0 },
              { key: 'auc', value: 0.95, timestamp: 1, step: 0 },
            ],
          },
          inputs: {},
        },
      }),
    ).toEqual([]);
    expect(mlflowContractProblems('GET model-versions/search', {})).toEqual([]);
    expect(
      mlflowContractProblems(
        'GET model-versions/get',
        { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' },
        404,
      ),
    ).toEqual([]);
  });

  it('fails a fixture that invents a field', () => {
    expect(
      mlflowContractProblems('GET model-versions/get', {
        model_version: { ...version, stage: 'Production' },
      }),
    ).toEqual([
      "GetModelVersion.Response.model_version.stage is not a field of MLflow's ModelVersion",
    ]);
  });

  it('fails a fixture that misses a field MLflow always sends', () => {
    const { status, ...withoutStatus } = version;
    expect(
      mlflowContractProblems('GET model-versions/get', {
        model_version: withoutStatus,
      }),
    ).toEqual([
      'GetModelVersion.Response.model_version.status is missing (MLflow always sends it)',
    ]);
    expect(
      mlflowContractProblems('GET runs/get', {
        run: { info: { run_id: 'r' } },
      }),
    ).toEqual([
      'GetRun.Response.run.info.run_uuid is missing (MLflow always sends it)',
      'GetRun.Response.run.info.experiment_id is missing (MLflow always sends it)',
      'GetRun.Response.run.info.status is missing (MLflow always sends it)',
      'GetRun.Response.run.info.lifecycle_stage is missing (MLflow always sends it)',
    ]);
  });

  it('fails wrong types, unknown states, empty lists and nulls', () => {
    expect(
      mlflowContractProblems('GET model-versions/search', {
        model_versions: [
          {
            ...version,
            version: 12,
            creation_timestamp: '1764240000000',
            status: 'DONE',
            aliases: [],
            run_id: null,
          },
        ],
        next_page_token: 3,
      }),
    ).toEqual([
      'SearchModelVersions.Response.model_versions[0].version must be a string, got 12',
      'SearchModelVersions.Response.model_versions[0].creation_timestamp must be an integer (MLflow writes int64 as a JSON number), got "1764240000000"',
      'SearchModelVersions.Response.model_versions[0].status must be one of PENDING_REGISTRATION, FAILED_REGISTRATION, READY, got "DONE"',
      'SearchModelVersions.Response.model_versions[0].aliases is an empty list; MLflow leaves it out',
      'SearchModelVersions.Response.model_versions[0].run_id is null; MLflow leaves unset fields out',
      'SearchModelVersions.Response.next_page_token must be a string, got 3',
    ]);
  });

  it('fails an error body that is not MLflow’s', () => {
    expect(
      mlflowContractProblems('GET runs/get', { error: 'nope' }, 404),
    ).toEqual([
      'Error.error_code is missing (MLflow always sends it)',
      'Error.message is missing (MLflow always sends it)',
      "Error.error is not a field of MLflow's Error",
    ]);
  });
});
