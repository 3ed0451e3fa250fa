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

// Which model entities each config repo and each model name serve, as of the last full poll.

import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { getMlGitopsAnnotations } from '@ml-gitops/plugin-ml-gitops-common';
import { normalizeRepoUrl } from './repoUrls';

/**
 * The entity refs a push to a config repo, or a watch's report about a
 * model, concerns; rebuilt by every full poll from the catalog's entities.
 */
export class ModelIndex {
  /** Config repo → the model entities it serves. */
  private byRepo = new Map<string, string[]>();
  /** Model name → the model entities of that name. */
  private byModel = new Map<string, string[]>();

  /** Replaces the index with the one of these model entities. */
  rebuild(entities: Entity[]): void {
    const index = new Map<string, string[]>();
    const byModel = new Map<string, string[]>();
    for (const entity of entities) {
      const annotations = getMlGitopsAnnotations(entity);
      const entityRef = stringifyEntityRef(entity);
      const repo = normalizeRepoUrl(annotations.configRepo!);
      if (repo) {
        index.set(repo, [...(index.get(repo) ?? []), entityRef]);
      }
      const refs = byModel.get(annotations.model!);
      if (refs) refs.push(entityRef);
      else byModel.set(annotations.model!, [entityRef]);
    }
    this.byRepo = index;
    this.byModel = byModel;
  }

  /** The model entities whose config repo this is, in any of its URL forms. */
  ofRepo(repoUrl: string): string[] {
    const repo = normalizeRepoUrl(repoUrl);
    return (repo && this.byRepo.get(repo)) || [];
  }

  /** The model entities of this model name. */
  ofModel(model: string): string[] {
    return this.byModel.get(model) ?? [];
  }
}
