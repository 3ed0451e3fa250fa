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

// The model entities of the catalog: the ones whose ML GitOps annotations are all there.

import { AuthService } from '@backstage/backend-plugin-api';
import {
  CATALOG_FILTER_EXISTS,
  QueryEntitiesResponse,
} from '@backstage/catalog-client';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_MODEL,
  getMlGitopsAnnotations,
} from '@ml-gitops/plugin-ml-gitops-common';

const complete = (entity: Entity) =>
  getMlGitopsAnnotations(entity).missing.length === 0;

/**
 * What a poll reads of a model entity: its ref, title and annotations. The
 * catalog leaves the rest out (spec, relations, status), which a fleet of
 * thousands would otherwise send, parse and hold through every cycle.
 */
export const MODEL_ENTITY_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'metadata.annotations',
];

/**
 * Model entities per catalog request when the whole fleet is read: a page
 * is one answer to parse, not the fleet's (#15: no long task in a cycle).
 */
export const MODEL_ENTITY_PAGE = 500;

/**
 * Reads model entities from the catalog with the plugin's own credentials;
 * an entity that lacks one of the annotations is not a model to poll.
 */
export class ModelEntities {
  constructor(
    private readonly deps: { auth: AuthService; catalog: CatalogService },
  ) {}

  /**
   * Every model entity of the catalog, with {@link MODEL_ENTITY_FIELDS}
   * only, read in pages of {@link MODEL_ENTITY_PAGE}.
   */
  async all(): Promise<Entity[]> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const models: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page: QueryEntitiesResponse = await this.deps.catalog.queryEntities(
        cursor
          ? { cursor, limit: MODEL_ENTITY_PAGE, fields: MODEL_ENTITY_FIELDS }
          : {
              filter: {
                [`metadata.annotations.${ANNOTATION_MODEL}`]:
                  CATALOG_FILTER_EXISTS,
              },
              limit: MODEL_ENTITY_PAGE,
              fields: MODEL_ENTITY_FIELDS,
            },
        { credentials },
      );
      for (const entity of page.items)
        if (complete(entity)) models.push(entity);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    return models;
  }

  /** The model entities among these refs; the others are left out. */
  async byRefs(entityRefs: string[]): Promise<Entity[]> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const { items } = await this.deps.catalog.getEntitiesByRefs(
      { entityRefs },
      { credentials },
    );
    return items.filter((e): e is Entity => !!e && complete(e));
  }

  /** The model entity of this ref, or undefined when there is none. */
  async byRef(entityRef: string): Promise<Entity | undefined> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    return entity && complete(entity) ? entity : undefined;
  }
}
