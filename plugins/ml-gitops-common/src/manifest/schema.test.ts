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

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  getModelManifestJsonSchema,
  MODEL_MANIFEST_SCHEMA_ID,
  modelManifestSchema,
} from './schema';

describe('model manifest schema', () => {
  it('is written to schema/model.schema.json (run `yarn generate:schema` when this fails)', () => {
    const file = resolve(__dirname, '../../schema/model.schema.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(
      getModelManifestJsonSchema(),
    );
  });

  it('is a closed JSON Schema with the contract fields', () => {
    const schema = getModelManifestJsonSchema() as any;
    expect(schema.$id).toBe(MODEL_MANIFEST_SCHEMA_ID);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['model_name', 'model_version', 'serving']);
    expect(Object.keys(schema.properties)).toEqual([
      'model_name',
      'model_version',
      'registry',
      'storage_uri',
      'serving',
      'gates',
      'checks',
      'freeze',
    ]);
    expect(schema.properties.model_version.type).toBe('string');
  });

  it('accepts the example of the design', () => {
    expect(
      modelManifestSchema.safeParse({
        model_name: 'fraud-detector',
        model_version: '12',
        registry: 'mlflow-default',
        serving: { runtime: 'kserve', replicas: 2 },
        gates: { metrics: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } } },
      }).success,
    ).toBe(true);
  });
});
