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

import { Entity } from '@backstage/catalog-model';
import { fleetTurns } from '../lib/turns';
import { modelEntity } from '../__testUtils__/modelEntity';
import { ModelIndex } from './modelIndex';

/** A model entity whose config repo is this URL. */
function annotated(name: string, configRepo: string): Entity {
  const entity = modelEntity(name);
  entity.metadata.annotations!['ml-gitops/config-repo'] = configRepo;
  return entity;
}

/**
 * A push names its repository in the host's words (GitHub's `html_url`,
 * GitLab's `project.web_url`, `git_http_url`); the index finds the models
 * annotated with that repository in any of its URL forms.
 */
describe('ModelIndex.ofRepo', () => {
  const entities = [
    modelEntity('fraud-detector'),
    annotated(
      'demand-forecaster',
      'https://gitlab.acme.corp/ml-platform/forecasting/demand-config',
    ),
    annotated(
      'demand-shadow',
      'https://gitlab.acme.corp/ml-platform/forecasting/demand-config.git',
    ),
    annotated('churn', 'https://gitlab.acme.corp/ml-platform/churn-config'),
  ];

  it('finds the models of a GitLab project in subgroups, and only those', async () => {
    const index = new ModelIndex(async () => entities);
    await expect(
      index.ofRepo(
        'https://gitlab.acme.corp/ml-platform/forecasting/demand-config',
      ),
    ).resolves.toEqual([
      'component:default/demand-forecaster',
      'component:default/demand-shadow',
    ]);
    await expect(
      index.ofRepo(
        'http://gitlab.acme.corp/ml-platform/forecasting/demand-config.git',
      ),
    ).resolves.toHaveLength(2);
    await expect(
      index.ofRepo('https://gitlab.acme.corp/ml-platform/churn-config'),
    ).resolves.toEqual(['component:default/churn']);
    // The subgroup itself is not a project of any model.
    await expect(
      index.ofRepo('https://gitlab.acme.corp/ml-platform/forecasting'),
    ).resolves.toEqual([]);
  });

  it('finds a GitHub config repo by its html_url or clone_url', async () => {
    const index = new ModelIndex(async () => entities);
    await expect(
      index.ofRepo('https://github.com/acme/fraud-detector-config.git'),
    ).resolves.toEqual(['component:default/fraud-detector']);
  });
});

describe('ModelIndex', () => {
  it('is rebuilt in turns of the event loop, answering from the index before until it is done', async () => {
    const index = new ModelIndex(async () => []);
    await index.rebuild([modelEntity('fraud-detector')]);
    expect(await index.ofModels(['fraud-detector'])).toEqual([
      'component:default/fraud-detector',
    ]);

    const due = jest.spyOn(fleetTurns, 'due').mockReturnValue(true);
    const turn = jest.spyOn(fleetTurns, 'turn');
    try {
      const rebuilt = index.rebuild([
        modelEntity('churn-predictor'),
        modelEntity('fraud-detector'),
      ]);
      // Waiting for a turn: lookups meanwhile see the index before.
      await new Promise(resolve => setImmediate(resolve));
      expect(turn).toHaveBeenCalled();
      expect(
        await index.ofRepo('https://github.com/acme/churn-predictor-config'),
      ).toEqual([]);
      await rebuilt;
      expect(
        await index.ofRepo('https://github.com/acme/churn-predictor-config'),
      ).toEqual(['component:default/churn-predictor']);
    } finally {
      due.mockRestore();
      turn.mockRestore();
    }
  });
});
