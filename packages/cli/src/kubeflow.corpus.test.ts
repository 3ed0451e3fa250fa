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

import { setupServer } from 'msw/node';
import {
  cleanupTmpDirs,
  makeRepo,
  MANIFEST,
  runCli,
  STACK_TRACE,
} from './__testUtils__/helpers';
import {
  double,
  KUBEFLOW,
  kubeflowHandlers,
  KubeflowVersionFixture,
  text,
} from './__testUtils__/kubeflow';
import { kubeflowContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import {
  kubeflowArtifacts,
  kubeflowModelVersion,
  REGISTERED_MODEL,
} from './__testUtils__/kubeflow';

/*
 * A corpus of versions registered in a Kubeflow Model Registry, each checked
 * by `ml-gitops validate --registry-type kubeflow` against the manifest of
 * __testUtils__/manifest.ts (version 13, gate auc >= 0.92 and
 * latency_p95_ms <= 40). Ready means LIVE with a model artifact that has a
 * uri; the gate reads the version's numeric custom properties; the
 * rejection markers are string custom properties.
 */

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

const S3 = 's3://models/fraud-detector/13';
const GOOD = {
  auc: double(0.95),
  latency_p95_ms: { metadataType: 'MetadataIntValue', int_value: '31' },
} as const;
const live = (
  overrides: Partial<KubeflowVersionFixture> = {},
): KubeflowVersionFixture => ({
  state: 'LIVE',
  uri: S3,
  modelFormatName: 'sklearn',
  customProperties: { ...GOOD },
  ...overrides,
});
const withStorage = (uri: string) =>
  MANIFEST.replace(
    'model_version: "13"\n',
    `model_version: "13"\nstorage_uri: ${uri}\n`,
  );

type Case = {
  versions: Record<string, KubeflowVersionFixture>;
  manifest?: string;
  status?: number;
  /** 2: the check could not run (never a pass). */
  exitCode: 0 | 1 | 2;
  /** Lines the report must hold (after collapsing runs of spaces). */
  lines: string[];
};

const CASES: Record<string, Case> = {
  'a LIVE version with a model artifact, meeting the gate': {
    versions: { '13': live() },
    exitCode: 0,
    lines: [
      'PASS Model version in the registry fraud-detector version 13 is LIVE',
      'PASS Performance gate auc 0.95 is >= 0.92; latency_p95_ms 31 is <= 40',
    ],
  },
  'storage_uri that is the model artifact uri': {
    versions: { '13': live() },
    manifest: withStorage(S3),
    exitCode: 0,
    lines: [
      'PASS Model version in the registry fraud-detector version 13 is LIVE; storage_uri is its artifact location',
    ],
  },
  'storage_uri elsewhere than the model artifact uri': {
    versions: { '13': live() },
    manifest: withStorage('s3://models/fraud-detector/12'),
    exitCode: 1,
    lines: [
      `error: deploy/model.yaml:4:1: storage_uri s3://models/fraud-detector/12 is not where the registry keeps fraud-detector version 13: ${S3}`,
    ],
  },
  'a version that does not exist': {
    versions: { '11': live(), '12': live() },
    exitCode: 1,
    lines: [
      `error: deploy/model.yaml:3:1: fraud-detector version 13 does not exist in the registry at ${KUBEFLOW}`,
      'fix: Register version 13 of fraud-detector first, or set model_version to an existing version (existing versions, newest first: 12, 11)',
      'SKIP Performance gate not run: the version does not exist',
    ],
  },
  'a model that is not registered': {
    versions: {},
    manifest: MANIFEST.replace(
      'model_name: fraud-detector',
      'model_name: churn',
    ),
    exitCode: 1,
    lines: [
      `error: deploy/model.yaml:3:1: churn version 13 does not exist in the registry at ${KUBEFLOW}`,
      `fix: No model named churn is registered at ${KUBEFLOW}: check model_name`,
    ],
  },
  'an ARCHIVED version': {
    versions: { '13': live({ state: 'ARCHIVED' }) },
    exitCode: 1,
    lines: [
      'error: deploy/model.yaml:3:1: fraud-detector version 13 is ARCHIVED, not LIVE, in the Kubeflow Model Registry',
      'fix: Deploy a LIVE version, or restore this one to LIVE in the registry and re-run',
    ],
  },
  'a LIVE version without a model artifact': {
    versions: { '13': live({ uri: undefined }) },
    exitCode: 1,
    lines: [
      'error: deploy/model.yaml:3:1: fraud-detector version 13 has no model artifact with a uri, so there are no model files to serve',
      'fix: Register a model artifact with the uri of the model files (e.g. s3://bucket/path) for this version, or deploy another version',
    ],
  },
  'a model artifact without a uri, and storage_uri set': {
    versions: { '13': live({ uri: null }) },
    manifest: withStorage(S3),
    exitCode: 1,
    lines: [
      'error: deploy/model.yaml:3:1: fraud-detector version 13 has no model artifact with a uri, so there are no model files to serve',
      `error: deploy/model.yaml:4:1: storage_uri cannot be checked: fraud-detector version 13 has no model artifact with a uri in the Kubeflow Model Registry at ${KUBEFLOW}`,
    ],
  },
  'a model artifact uri KServe cannot read': {
    versions: { '13': live({ uri: 'file:///tmp/model' }) },
    manifest: withStorage(S3),
    exitCode: 1,
    lines: [
      "error: deploy/model.yaml:4:1: storage_uri cannot be checked: fraud-detector version 13: the model artifact's uri file:///tmp/model must start with a scheme KServe's storage initializer reads",
    ],
  },
  'a gate that fails on a custom property': {
    versions: {
      '13': live({ customProperties: { ...GOOD, auc: double(0.9) } }),
    },
    exitCode: 1,
    lines: [
      'FAIL Performance gate 1 of 2 gated metrics failed',
      'fix: Deploy a version that meets the gate; lowering the threshold needs a reviewed reason',
    ],
  },
  'a gated metric that is no numeric custom property': {
    versions: {
      '13': live({
        customProperties: { auc: double(0.95), latency_p95_ms: text('31') },
      }),
    },
    exitCode: 1,
    lines: [
      'fix: Set latency_p95_ms as a numeric custom property (MetadataDoubleValue or MetadataIntValue) of the version in the Kubeflow Model Registry, or remove it from gates.metrics (numeric custom properties of the version: auc)',
    ],
  },
  'a version rejected by ML GitOps': {
    versions: {
      '13': live({
        customProperties: {
          ...GOOD,
          validation_status: text('rejected'),
          'ml-gitops.rejected_reason': text('p95 latency doubled'),
          'ml-gitops.rejected_by': text('user:default/alice'),
          'ml-gitops.rejected_at': text('2026-12-06T07:00:00Z'),
        },
      }),
    },
    exitCode: 1,
    lines: [
      'error: deploy/model.yaml:3:1: fraud-detector version 13 is rejected: "p95 latency doubled" (by user:default/alice, 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject (or delete its validation_status custom property in the registry) before deploying it',
      'fix: Deploy another version; if the rejection no longer holds, un-reject this one first and re-run this check',
    ],
  },
  'a version an evaluation pipeline marked rejected': {
    versions: {
      '13': live({
        customProperties: { ...GOOD, validation_status: text(' Rejected ') },
      }),
    },
    exitCode: 1,
    lines: [
      'error: deploy/model.yaml:3:1: fraud-detector version 13 carries the custom property validation_status=Rejected; un-reject it',
    ],
  },
  'a token the registry refuses': {
    versions: { '13': live() },
    status: 403,
    exitCode: 2,
    lines: [
      `the registry could not be asked: Kubeflow Model Registry at ${KUBEFLOW} answered 403 on GET registered_model (access denied): give the identity of the token in --token-env (or ML_GITOPS_REGISTRY_TOKEN) read access to the model registry`,
      'fix: This is not a pass: fix the registry URL, token or network and run the check again',
    ],
  },
};

describe('Kubeflow-registered versions corpus', () => {
  it('serves payloads that match the published OpenAPI description', () => {
    expect(
      kubeflowContractProblems('RegisteredModel', REGISTERED_MODEL),
    ).toEqual([]);
    for (const c of Object.values(CASES)) {
      for (const [name, fixture] of Object.entries(c.versions)) {
        expect(
          kubeflowContractProblems(
            'ModelVersion',
            kubeflowModelVersion(name, fixture),
          ),
        ).toEqual([]);
        expect(
          kubeflowContractProblems(
            'ArtifactList',
            kubeflowArtifacts(name, fixture),
          ),
        ).toEqual([]);
      }
    }
  });

  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    server.use(...kubeflowHandlers(c.versions, { status: c.status }));
    const root = makeRepo({ 'deploy/model.yaml': c.manifest ?? MANIFEST });
    const { exitCode, output } = await runCli([
      'validate',
      root,
      '--registry-type',
      'kubeflow',
      '--registry-url',
      KUBEFLOW,
      '--skip-integration',
    ]);
    expect(output).not.toMatch(STACK_TRACE);
    const lines = output.split('\n').map(l =>
      l
        .trim()
        .split(/\s{2,}/)
        .join(' '),
    );
    for (const expected of c.lines) {
      expect(lines).toContainEqual(expect.stringContaining(expected));
    }
    expect(exitCode).toBe(c.exitCode);
  });

  it('refuses a username and password for Kubeflow as a usage error', async () => {
    const { exitCode, output } = await runCli(
      [
        'validate',
        makeRepo(),
        '--registry-type',
        'kubeflow',
        '--registry-url',
        KUBEFLOW,
        '--username',
        'ada',
      ],
      { env: { ML_GITOPS_REGISTRY_PASSWORD: 'pw' } },
    );
    expect(exitCode).toBe(2);
    expect(output).toContain(
      'the Kubeflow Model Registry takes a bearer token (ML_GITOPS_REGISTRY_TOKEN or --token-env NAME), not a username and password',
    );
  });

  it('refuses an unknown registry type as a usage error', async () => {
    const { exitCode, output } = await runCli([
      'validate',
      makeRepo(),
      '--registry-type',
      'sagemaker',
      '--registry-url',
      KUBEFLOW,
    ]);
    expect(exitCode).toBe(2);
    expect(output).toContain(
      '--registry-type must be one of mlflow, kubeflow, not "sagemaker"',
    );
  });
});
