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

// Which model entities each model name and config repo stand for: built by a full poll, or from the catalog on a replica that has not polled.
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { getMlGitopsAnnotations } from '@ml-gitops/plugin-ml-gitops-common';
import { forEachInTurns } from '../lib/turns';
import { normalizeRepoUrl } from './repoUrls';

/**
 * The model entities behind a model name (what a watch reports) and a
 * config repo (what a push reports). The scheduled poll, which lists the
 * catalog anyway, sets it; a replica that never ran that poll (the poll
 * task is global, so another replica may hold it for good) reads the
 * catalog itself the first time it needs it, and again when a lookup
 * misses on an index older than `maxAgeMs`, so a model added since is found.
 */
export class ModelIndex {
  private byRepo = new Map<string, string[]>();
  private byModel = new Map<string, string[]>();
  private builtAt = -Infinity;
  private building?: Promise<void>;

  constructor(
    private readonly listModelEntities: () => Promise<Entity[]>,
    /** How old the index may be before a lookup that misses reads the catalog again. */
    private readonly maxAgeMs = 60_000,
  ) {}

  /**
   * Replaces the index with these entities (a full poll listed them), built
   * in turns; lookups meanwhile answer from the index before.
   */
  async rebuild(entities: Entity[]): Promise<void> {
    const byRepo = new Map<string, string[]>();
    const byModel = new Map<string, string[]>();
    const add = (map: Map<string, string[]>, key: string, ref: string) => {
      const refs = map.get(key);
      if (refs) refs.push(ref);
      else map.set(key, [ref]);
    };
    await forEachInTurns(entities, entity => {
      const annotations = getMlGitopsAnnotations(entity);
      const entityRef = stringifyEntityRef(entity);
      const repo = normalizeRepoUrl(annotations.configRepo!);
      if (repo) add(byRepo, repo, entityRef);
      add(byModel, annotations.model!, entityRef);
    });
    this.byRepo = byRepo;
    this.byModel = byModel;
    this.builtAt = Date.now();
  }

  /** Reads the catalog when the index was never built. */
  async ensure(): Promise<void> {
    if (this.builtAt === -Infinity) await this.read();
  }

  /** The model entities of these model names. */
  async ofModels(models: Iterable<string>): Promise<string[]> {
    const names = [...models];
    const find = () => names.flatMap(m => this.byModel.get(m) ?? []);
    if (names.some(m => !this.byModel.has(m)) && this.stale()) {
      await this.read();
    }
    return find();
  }

  /** The model entities whose config repo this is, in any of its URL forms. */
  async ofRepo(repoUrl: string): Promise<string[]> {
    const repo = normalizeRepoUrl(repoUrl);
    if (!repo) return [];
    if (!this.byRepo.has(repo) && this.stale()) await this.read();
    return this.byRepo.get(repo) ?? [];
  }

  private stale(): boolean {
    return Date.now() - this.builtAt >= this.maxAgeMs;
  }

  private read(): Promise<void> {
    this.building ??= this.listModelEntities()
      .then(entities => this.rebuild(entities))
      .finally(() => {
        this.building = undefined;
      });
    return this.building;
  }
}
