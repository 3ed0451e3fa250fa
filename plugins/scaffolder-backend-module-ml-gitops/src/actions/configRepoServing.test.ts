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
 * What a new config repo serves: the InferenceService its chart renders for
 * each environment, measured against KServe's CRD schema (the slice kept in
 * @ml-gitops/plugin-ml-gitops-common/testUtils, contracts/kserve, with its
 * source and commit in the README there), the storage URI and model format
 * taken from the registry, and the validate workflow's settings.
 */
import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  kubeContractProblems,
  registerContractChecks,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  FakeMlflowVersion,
  fakeSource,
  makeContext,
  makeOptions,
  MLFLOW_URL,
} from '../__testUtils__/setup';
import { createConfigRepoCreateAction } from './configRepoCreate';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
jest.setTimeout(60_000);

const ENVIRONMENTS = ['dev', 'staging', 'production'];

let remote: LocalConfigRepo;
beforeEach(() => {
  remote = new LocalConfigRepo();
});
afterEach(() => remote.cleanup());

const input = {
  repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
  model: 'fraud-detector',
  version: '1',
  owners: ['@acme/ml-team'],
};

async function create(version: FakeMlflowVersion) {
  const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
  server.use(...github.handlers, ...fakeMlflow('fraud-detector', [version]));
  const action = createConfigRepoCreateAction({
    ...makeOptions(),
    remoteUrl: () => remote.bare,
  });
  const { ctx, logs } = makeContext(input);
  await action.handler(ctx);
  return { logs, github };
}

type Values = Record<string, unknown>;

/** Helm's merge of values files: maps merge key by key, the later file wins. */
function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object' &&
      !Array.isArray(current)
        ? mergeValues(current as Values, value as Values)
        : value;
  }
  return out;
}

function lookup(values: Values, path: string): unknown {
  let value: unknown = values;
  for (const key of path.split('.')) {
    value =
      value && typeof value === 'object' ? (value as Values)[key] : undefined;
  }
  return value;
}

/**
 * Renders the Go template actions the generated chart uses, as Helm does:
 * `{{ .Values.x }}`, `{{ .Values.x | quote }}` and
 * `{{ required "message" .Values.x | quote }}` (Helm's `required` fails on a
 * missing or empty value, `quote` writes a double-quoted string). Any other
 * action is an error, so a chart change this test cannot render fails here
 * instead of passing unread.
 */
function renderTemplate(template: string, values: Values): string {
  return template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, action: string) => {
    const m =
      /^(?:required\s+"([^"]*)"\s+)?\.Values\.([A-Za-z_][\w.]*)(\s*\|\s*quote)?$/.exec(
        action,
      );
    if (!m) throw new Error(`the test cannot render {{ ${action} }}`);
    const [, requiredMessage, path, quote] = m;
    const value = lookup(values, path);
    if (
      requiredMessage !== undefined &&
      (value === undefined || value === null || value === '')
    ) {
      throw new Error(`execution error: ${requiredMessage}`);
    }
    const text = value === undefined || value === null ? '' : String(value);
    return quote ? JSON.stringify(text) : text;
  });
}

/** The chart rendered for one environment, as the Argo CD Application asks. */
function renderInferenceService(
  branch: string,
  environment: string,
  manifest = remote.show(branch, 'deploy/model.yaml'),
) {
  const app = yaml.parse(remote.show(branch, `argocd/${environment}.yaml`));
  // The chart is one of the Application's sources; secrets/ is the other.
  const chart = (app.spec.sources as Array<{ path: string }>).find(
    source => source.path === 'deploy/chart',
  );
  expect(chart).toMatchObject({
    targetRevision: environment,
    path: 'deploy/chart',
    helm: {
      valueFiles: ['../model.yaml'],
      parameters: [{ name: 'environment', value: environment }],
    },
  });
  let values = yaml.parse(remote.show(branch, 'deploy/chart/values.yaml'));
  values = mergeValues(values, yaml.parse(manifest));
  values = mergeValues(values, { environment });
  return yaml.parse(
    renderTemplate(
      remote.show(branch, 'deploy/chart/templates/inferenceservice.yaml'),
      values,
    ),
  );
}

describe('the InferenceService of a new config repo', () => {
  it.each(ENVIRONMENTS)(
    "renders for %s as KServe's CRD schema allows, serving the registry's artifacts in the flavor's format",
    async environment => {
      await create({ version: '1' });
      const service = renderInferenceService(environment, environment);
      expect(kubeContractProblems(service)).toEqual([]);
      expect(service).toMatchObject({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: {
          name: 'fraud-detector',
          labels: {
            'ml-gitops/model': 'fraud-detector',
            'ml-gitops/model-version': '1',
            'ml-gitops/environment': environment,
          },
        },
        spec: {
          predictor: {
            minReplicas: 2,
            maxReplicas: 2,
            model: {
              modelFormat: { name: 'sklearn' },
              storageUri: fakeSource('1'),
            },
          },
        },
      });
    },
  );

  it('is measured by a schema that can fail', async () => {
    await create({ version: '1' });
    const service = renderInferenceService('dev', 'dev');
    service.spec.predictor.model.storageURI =
      service.spec.predictor.model.storageUri;
    service.spec.predictor.minReplicas = '2';
    expect(kubeContractProblems(service).sort()).toEqual([
      `$.spec.predictor.minReplicas must be an integer (the InferenceService CRD's schema), got "2"`,
      "$.spec.predictor.model.storageURI is not a property of the InferenceService CRD's schema",
    ]);
  });

  it('does not render without storage_uri, saying what is missing', async () => {
    await create({ version: '1' });
    const manifest = remote
      .show('dev', 'deploy/model.yaml')
      .replace(/^storage_uri: .*\n/m, '');
    expect(() => renderInferenceService('dev', 'dev', manifest)).toThrow(
      'execution error: deploy/model.yaml needs storage_uri: where the registry keeps model_version',
    );
  });

  it('writes storage_uri next to model_version, and the format into the chart values', async () => {
    await create({ version: '1', flavors: ['python_function', 'xgboost'] });
    expect(remote.show('dev', 'deploy/model.yaml')).toContain(
      `model_version: "1"            # string; the registry's version id\n# where the registry keeps model_version; changed together with it\nstorage_uri: "${fakeSource(
        '1',
      )}"\n`,
    );
    expect(
      yaml.parse(remote.show('dev', 'deploy/chart/values.yaml')).model_format,
    ).toBe('xgboost');
  });

  it('maps an Azure Blob location to the https form KServe reads', async () => {
    await create({
      version: '1',
      source:
        'wasbs://models@acme.blob.core.windows.net/1/run-1/artifacts/model',
    });
    expect(
      renderInferenceService('staging', 'staging').spec.predictor.model
        .storageUri,
    ).toBe('https://acme.blob.core.windows.net/models/1/run-1/artifacts/model');
  });

  it('serves with the mlflow format, and says so, when the MLmodel file cannot be read', async () => {
    const { logs } = await create({ version: '1', flavors: [] });
    expect(
      renderInferenceService('dev', 'dev').spec.predictor.model.modelFormat,
    ).toEqual({ name: 'mlflow' });
    expect(logs).toContain(
      'warn: Serving fraud-detector with modelFormat mlflow: MLflow has no MLmodel file for fraud-detector version 1',
    );
  });

  it('refuses, before creating anything, a version whose artifacts KServe cannot read', async () => {
    const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
    server.use(
      ...github.handlers,
      ...fakeMlflow('fraud-detector', [
        {
          version: '1',
          source: 'mlflow-artifacts:/1/run-1/artifacts/model',
        },
      ]),
    );
    const action = createConfigRepoCreateAction({
      ...makeOptions(),
      remoteUrl: () => remote.bare,
    });
    const { ctx } = makeContext(input);
    await expect(action.handler(ctx)).rejects.toThrow(
      "Cannot set where fraud-detector version 1 is stored (storage_uri): fraud-detector version 1: the artifact location mlflow-artifacts:/1/run-1/artifacts/model is served by the MLflow tracking server's artifact proxy, which KServe cannot read. Run the MLflow server with --no-serve-artifacts",
    );
    expect(github.created).toEqual([]);
  });
});

describe('the validate workflow of a new config repo', () => {
  it('names the registry itself and reads only credentials from secrets', async () => {
    await create({ version: '1' });
    const workflow = yaml.parse(
      remote.show('production', '.github/workflows/validate.yaml'),
    );
    expect(workflow.env).toEqual({ ML_GITOPS_REGISTRY_URL: MLFLOW_URL });
    const step = workflow.jobs.validate.steps.find(
      (s: { run?: string }) => s.run,
    );
    expect(step.env).toEqual({
      GITHUB_TOKEN: '${{ github.token }}',
      ML_GITOPS_REGISTRY_TOKEN: '${{ secrets.ML_GITOPS_REGISTRY_TOKEN }}',
      ML_GITOPS_REGISTRY_USERNAME: '${{ vars.ML_GITOPS_REGISTRY_USERNAME }}',
      ML_GITOPS_REGISTRY_PASSWORD: '${{ secrets.ML_GITOPS_REGISTRY_PASSWORD }}',
    });
  });
});
