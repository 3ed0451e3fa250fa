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

import { kserveStorageUriProblem } from './storageUri';
import { parseModelManifest } from './parse';

describe('kserveStorageUriProblem', () => {
  it.each([
    's3://mlflow-artifacts/1/0a1b/artifacts/model',
    'gs://bucket/models/fraud',
    'https://acct.blob.core.windows.net/models/fraud',
    'pvc://model-claim/fraud/12',
    'hdfs://namenode:8020/models/fraud',
    'webhdfs://namenode:9870/models/fraud',
  ])('accepts %s', uri => {
    expect(kserveStorageUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['models:/fraud/12', /must start with a scheme/],
    ['mlflow-artifacts:/1/x/artifacts', /must start with a scheme/],
    ['http://minio/models', /must start with a scheme/],
    ['/mnt/models', /must start with a scheme/],
    ['s3://', /must name a location after s3:\/\//],
    ['s3:///bucket', /must name a location/],
    ['s3:bucket/x', /must name a location/],
    ['s3://AKIA:secret@bucket/x', /credentials/],
    ['s3://bucket/a b', /spaces or control/],
    [`s3://b/${'x'.repeat(2100)}`, /longer than 2048/],
  ])('refuses %s', (uri, problem) => {
    expect(kserveStorageUriProblem(uri)).toMatch(problem);
  });

  it('is checked in the manifest with a fix', () => {
    const parsed = parseModelManifest(
      'model_name: m\nmodel_version: "1"\nstorage_uri: models:/m/1\nserving: { runtime: kserve, replicas: 1 }\n',
    );
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      expect.objectContaining({
        line: 3,
        message: expect.stringMatching(
          /^storage_uri must start with a scheme KServe's storage initializer reads: s3:\/\//,
        ),
        fix: expect.stringMatching(/registry's artifact location/),
      }),
    ]);
  });
});
