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

import { mockServices } from '@backstage/backend-test-utils';
import {
  EnvironmentDeclaration,
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { SourceFailures } from './failures';
import { PollHealth } from './PollHealth';
import { RegistryReader } from './RegistryReader';

const NOW = new Date('2026-12-01T10:00:00.000Z');

function declaration(min: number): EnvironmentDeclaration {
  return {
    environment: 'production',
    head: 'a'.repeat(40),
    headCommittedAt: '2026-11-30T10:00:00.000Z',
    version: '7',
    manifest: {
      model_name: 'churn',
      model_version: '7',
      gates: { metrics: { auc: { min } } },
    },
  } as unknown as EnvironmentDeclaration;
}

describe('RegistryReader', () => {
  it('judges the gate again only when the facts or the thresholds changed', async () => {
    let facts: RegistryVersionFacts = {
      exists: true,
      status: 'READY',
      aliases: ['champion'],
      metrics: { auc: 0.93 },
      observedAt: NOW.toISOString(),
    };
    const registry: ModelRegistry = {
      name: 'mlflow',
      getVersion: async () => facts,
    } as unknown as ModelRegistry;
    const reader = new RegistryReader({
      logger: mockServices.logger.mock(),
      registries: new Map([['mlflow', registry]]),
      failures: new SourceFailures(() => NOW),
      health: new PollHealth(),
      now: () => NOW,
    });
    const read = (d: EnvironmentDeclaration) =>
      reader.registryState(
        'component:default/churn',
        'mlflow',
        'churn',
        d,
        null,
      );

    const declared = declaration(0.92);
    const first = await read(declared);
    expect(first).toMatchObject({ version: '7', gate: 'passed' });
    // The same facts from the registry's cache, the same thresholds.
    expect(await read(declared)).toBe(first);

    // Stricter thresholds: judged again.
    const stricter = await read(declaration(0.95));
    expect(stricter).toMatchObject({
      gate: 'failed',
      thresholds: { auc: { min: 0.95 } },
    });

    // The registry read the version again: new facts, judged again.
    facts = { ...facts, metrics: { auc: 0.96 } };
    const reread = await read(declared);
    expect(reread).not.toBe(first);
    expect(reread).toMatchObject({ gate: 'passed', metrics: { auc: 0.96 } });
  });
});
