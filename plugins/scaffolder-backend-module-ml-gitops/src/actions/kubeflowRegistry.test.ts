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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import {
  fakeKubeflow,
  fakeKubeflowUri,
  FakeKubeflowVersion,
  KUBEFLOW_URL,
} from '../__testUtils__/fakeKubeflow';
import { makeContext, makeOptions, outputsOf } from '../__testUtils__/setup';
import { createDeployAction } from './deploy';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { createRollbackAction } from './rollback';
import { fakePullsApi } from '../__testUtils__/fakePulls';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import yaml from 'yaml';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './versionRejection';

/*
 * The actions against a Kubeflow Model Registry (`type: kubeflow`): the
 * same checks as on MLflow, with the version's state and model artifact for
 * readiness, its numeric custom properties for the gate, and its string
 * custom properties for the rejection markers (fakeKubeflow.ts).
 */

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
// Real git repositories on disk for config-repo:create and rollback.
jest.setTimeout(60_000);

const input = { entityRef: 'component:default/fraud-detector', version: '13' };
const kubeflowManifest = (version: string, storage = false) => {
  const text = manifest(version).replace(
    'registry: mlflow-default',
    'registry: models-kf',
  );
  return storage
    ? text.replace(
        `model_version: "${version}"\n`,
        `model_version: "${version}"\nstorage_uri: "${fakeKubeflowUri(
          version,
        )}"\n`,
      )
    : text;
};

function setup(
  versions: FakeKubeflowVersion[] = [
    { version: '12', metrics: { auc: 0.95 } },
    { version: '13', metrics: { auc: 0.95 } },
  ],
  options: { storage?: boolean } = {},
) {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  for (const branch of ['dev', 'staging', 'production']) {
    repo.commit({
      branch,
      parents: [],
      message: `Initial ${branch}`,
      login: 'alice',
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': kubeflowManifest('12', options.storage) },
    });
  }
  const patches: unknown[] = [];
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeKubeflow('fraud-detector', versions, patches),
  );
  const actionOptions = makeOptions({
    registries: [
      {
        name: 'models-kf',
        type: 'kubeflow',
        url: KUBEFLOW_URL,
        token: 'kf-token',
      },
    ],
  });
  return {
    repo,
    versions,
    patches,
    deploy: createDeployAction(actionOptions),
    reject: createRejectVersionAction(actionOptions),
    unreject: createUnrejectVersionAction(actionOptions),
  };
}

describe('the actions on a Kubeflow Model Registry', () => {
  describe('ml-gitops:deploy', () => {
    it('deploys a LIVE version with a model artifact that meets the gate from its custom properties', async () => {
      const { repo, deploy } = setup();
      await deploy.handler(makeContext(input).ctx);
      const [pull] = repo.opened;
      expect(pull.body).toContain('**Registry** models-kf');
      expect(pull.body).toContain('- status: LIVE');
      expect(pull.body).toContain(`- model files: ${fakeKubeflowUri('13')}`);
      expect(pull.body).toContain('| auc | 0.95 | >= 0.92 | passed |');
      expect(pull.body).toContain('**Gate**: passed');
    });

    it("writes the model artifact's uri as storage_uri", async () => {
      const { repo, deploy } = setup(undefined, { storage: true });
      await deploy.handler(makeContext(input).ctx);
      const commit = repo.commits.get(
        repo.branches.get('ml-gitops/deploy/dev/13')!,
      )!;
      expect(commit.files['deploy/model.yaml']).toContain(
        `storage_uri: "${fakeKubeflowUri('13')}"`,
      );
    });

    it.each([
      [
        'that does not exist',
        [{ version: '12', metrics: { auc: 0.95 } }],
        /fraud-detector version 13 does not exist in the registry models-kf/,
      ],
      [
        'that is ARCHIVED',
        [{ version: '13', state: 'ARCHIVED', metrics: { auc: 0.95 } }],
        /fraud-detector version 13 is ARCHIVED, not LIVE, in the Kubeflow Model Registry/,
      ],
      [
        'failing the gate on a custom property',
        [{ version: '13', metrics: { auc: 0.9 } }],
        /the gate fails: auc 0.9 is below the minimum 0.92/,
      ],
    ] as const)(
      'refuses a version %s unless forced',
      async (_what, versions, message) => {
        const { repo, deploy } = setup(versions.map(v => ({ ...v })));
        const error = deploy.handler(makeContext(input).ctx);
        await expect(error).rejects.toThrow(message);
        await expect(error).rejects.toThrow(/set force: true with a reason/);
        expect(repo.opened).toHaveLength(0);
      },
    );

    it('deploys an ARCHIVED version with force and a reason', async () => {
      const { repo, deploy } = setup([
        { version: '13', state: 'ARCHIVED', metrics: { auc: 0.95 } },
      ]);
      await deploy.handler(
        makeContext({ ...input, force: true, reason: 'INC-1234' }).ctx,
      );
      expect(repo.opened[0].body).toContain('is ARCHIVED, not LIVE');
    });

    it.each([
      ['without a model artifact', { noArtifact: true }],
      ['whose model artifact has no uri', { uri: null }],
    ] as const)(
      'refuses a version %s even with force: there are no files to serve',
      async (_what, extra) => {
        const { repo, deploy } = setup([
          { version: '13', metrics: { auc: 0.95 }, ...extra },
        ]);
        await expect(
          deploy.handler(
            makeContext({ ...input, force: true, reason: 'INC-1234' }).ctx,
          ),
        ).rejects.toThrow(
          /fraud-detector version 13 has no model artifact with a uri, so there are no model files to serve/,
        );
        expect(repo.opened).toHaveLength(0);
      },
    );
  });

  describe('ml-gitops:version:reject and unreject', () => {
    it('rejects with the markers as string custom properties, which deploy then refuses, and un-rejects', async () => {
      const { versions, patches, deploy, reject, unreject, repo } = setup([
        { version: '13', metrics: { auc: 0.95 }, tags: { team: 'risk' } },
      ]);
      await reject.handler(makeContext({ ...input, reason: 'Leaks PII' }).ctx);
      // One PATCH with the whole map: the other properties kept.
      expect(patches).toEqual([
        {
          customProperties: {
            auc: { metadataType: 'MetadataDoubleValue', double_value: 0.95 },
            team: { metadataType: 'MetadataStringValue', string_value: 'risk' },
            validation_status: {
              metadataType: 'MetadataStringValue',
              string_value: 'rejected',
            },
            'ml-gitops.rejected_reason': {
              metadataType: 'MetadataStringValue',
              string_value: 'Leaks PII',
            },
            'ml-gitops.rejected_by': {
              metadataType: 'MetadataStringValue',
              string_value: 'user:default/alice',
            },
            'ml-gitops.rejected_at': {
              metadataType: 'MetadataStringValue',
              string_value: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            },
          },
        },
      ]);
      expect(versions[0].tags).toMatchObject({
        validation_status: 'rejected',
        'ml-gitops.rejected_reason': 'Leaks PII',
      });

      const refused = deploy.handler(
        makeContext({ ...input, force: true, reason: 'hotfix' }).ctx,
      );
      await expect(refused).rejects.toThrow(
        /fraud-detector version 13 is rejected: "Leaks PII" \(by user:default\/alice/,
      );
      expect(repo.opened).toHaveLength(0);

      const { ctx } = makeContext(input);
      await unreject.handler(ctx);
      expect(outputsOf(ctx).previousReason).toBe('Leaks PII');
      expect(versions[0].tags).toEqual({ team: 'risk' });
      expect(versions[0].metrics).toEqual({ auc: 0.95 });
    });

    it('refuses to reject a version that does not exist, and to un-reject one that is not rejected', async () => {
      const { reject, unreject, patches } = setup();
      await expect(
        reject.handler(
          makeContext({ ...input, version: '99', reason: 'x' }).ctx,
        ),
      ).rejects.toThrow(
        'fraud-detector version 99 does not exist in the registry models-kf',
      );
      await expect(unreject.handler(makeContext(input).ctx)).rejects.toThrow(
        'fraud-detector version 13 is not rejected in the registry models-kf',
      );
      expect(patches).toEqual([]);
    });

    it('writes nothing in a dry run', async () => {
      const { reject, patches } = setup();
      await reject.handler(
        makeContext({ ...input, reason: 'Leaks PII' }, { isDryRun: true }).ctx,
      );
      expect(patches).toEqual([]);
    });
  });

  describe('ml-gitops:config-repo:create', () => {
    let remote: LocalConfigRepo;
    beforeEach(() => {
      remote = new LocalConfigRepo();
    });
    afterEach(() => remote.cleanup());

    it("serves the model artifact's uri in its model format, and has the validate workflow ask the Kubeflow registry", async () => {
      const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
      server.use(
        ...github.handlers,
        ...fakeKubeflow('fraud-detector', [
          { version: '1', metrics: { auc: 0.95 }, modelFormatName: 'ONNX' },
        ]),
      );
      const action = createConfigRepoCreateAction({
        ...makeOptions({
          registries: [
            { name: 'models-kf', type: 'kubeflow', url: KUBEFLOW_URL },
          ],
        }),
        remoteUrl: () => remote.bare,
      });
      const { ctx, logs } = makeContext({
        repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
        model: 'fraud-detector',
        version: '1',
        owners: ['@acme/ml-team'],
      });
      await action.handler(ctx);
      const dev = remote.show('dev', 'deploy/model.yaml');
      expect(dev).toContain(`storage_uri: "${fakeKubeflowUri('1')}"`);
      expect(dev).toContain('registry: models-kf');
      expect(
        yaml.parse(remote.show('dev', 'deploy/chart/values.yaml')).model_format,
      ).toBe('onnx');
      expect(logs.join('\n')).toContain(
        "modelFormat onnx (the registry's model format)",
      );
      const workflow = yaml.parse(
        remote.show('production', '.github/workflows/validate.yaml'),
      );
      expect(workflow.env).toEqual({
        ML_GITOPS_REGISTRY_URL: KUBEFLOW_URL,
        ML_GITOPS_REGISTRY_TYPE: 'kubeflow',
      });
    });
  });

  describe('ml-gitops:rollback', () => {
    let local: LocalConfigRepo;
    beforeEach(() => {
      local = new LocalConfigRepo();
    });
    afterEach(() => local.cleanup());

    it('skips a rejected version and marks the version it leaves rejected', async () => {
      local.commit('Initial config', {
        'deploy/model.yaml': kubeflowManifest('11'),
      });
      for (const v of ['12', '13']) {
        local.commit(`Deploy fraud-detector ${v} to dev`, {
          'deploy/model.yaml': kubeflowManifest(v),
        });
      }
      local.pushAll();
      const versions: FakeKubeflowVersion[] = [
        { version: '11', metrics: { auc: 0.95 } },
        {
          version: '12',
          metrics: { auc: 0.95 },
          tags: {
            validation_status: 'rejected',
            'ml-gitops.rejected_reason': 'leaks PII',
          },
        },
        { version: '13', metrics: { auc: 0.95 } },
      ];
      const api = fakePullsApi();
      server.use(...api.handlers, ...fakeKubeflow('fraud-detector', versions));
      const action = createRollbackAction({
        ...makeOptions({
          registries: [
            { name: 'models-kf', type: 'kubeflow', url: KUBEFLOW_URL },
          ],
        }),
        remoteUrl: () => local.bare,
      });
      const { ctx, logs } = makeContext({
        entityRef: 'component:default/fraud-detector',
        environment: 'dev',
        reason: 'p95 latency doubled after the deploy',
      });
      await action.handler(ctx);
      expect(outputsOf(ctx).previousVersion).toBe('11');
      expect(logs.join('\n')).toContain(
        'Skipping version 12: rejected in the registry ("leaks PII")',
      );
      expect(versions[2].tags).toEqual({
        validation_status: 'rejected',
        'ml-gitops.rejected_reason': 'p95 latency doubled after the deploy',
        'ml-gitops.rejected_by': 'user:default/alice',
        'ml-gitops.rejected_at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(versions[2].metrics).toEqual({ auc: 0.95 });
    });
  });
});
