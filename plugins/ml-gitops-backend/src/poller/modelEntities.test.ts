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
import { stringifyEntityRef } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { modelEntity } from '../__testUtils__/modelEntity';
import {
  MODEL_ENTITY_PAGE,
  MODEL_ENTITY_FIELDS,
  ModelEntities,
} from './modelEntities';

describe('ModelEntities', () => {
  it('reads every model entity of a large catalog in pages, with the fields a poll reads', async () => {
    const models = Array.from({ length: 2 * MODEL_ENTITY_PAGE + 37 }, (_, i) =>
      modelEntity(`model-${String(i).padStart(4, '0')}`),
    );
    models[5].metadata.title = 'Model five';
    // Not models: no model annotation, or one of the annotations missing.
    const service = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'service', owner: 'group:default/web' },
    };
    const incomplete = modelEntity('half-model');
    delete incomplete.metadata.annotations!['ml-gitops/config-repo'];
    const catalog = catalogServiceMock({
      entities: [...models, service, incomplete],
    });
    const query = jest.spyOn(catalog, 'queryEntities');
    const read = await new ModelEntities({
      auth: mockServices.auth(),
      catalog,
    }).all();

    expect(read.map(e => stringifyEntityRef(e)).sort()).toEqual(
      models.map(e => stringifyEntityRef(e)).sort(),
    );
    // Three pages, each asking for the poll's fields only.
    expect(query).toHaveBeenCalledTimes(3);
    for (const [request] of query.mock.calls) {
      expect(request).toMatchObject({
        limit: MODEL_ENTITY_PAGE,
        fields: MODEL_ENTITY_FIELDS,
      });
    }
    // What the poll reads is there; what it does not read was left out.
    const five = read.find(e => e.metadata.name === 'model-0005')!;
    expect(five.metadata.title).toBe('Model five');
    expect(five.metadata.annotations).toEqual(models[5].metadata.annotations);
    expect(five.kind).toBe('Component');
    expect(five.spec).toBeUndefined();
  });
});
