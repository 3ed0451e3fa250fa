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

import type { Entity } from '@backstage/catalog-model';

/**
 * Catalog annotation: the model's name in the registry. Required.
 *
 * @public
 */
export const ANNOTATION_MODEL = 'ml-gitops/model';

/**
 * Catalog annotation: URL of the model's config repo. Required.
 *
 * @public
 */
export const ANNOTATION_CONFIG_REPO = 'ml-gitops/config-repo';

/**
 * Catalog annotation: path of the manifest inside the config repo. Optional,
 * defaults to {@link DEFAULT_MANIFEST_PATH}.
 *
 * @public
 */
export const ANNOTATION_MANIFEST_PATH = 'ml-gitops/manifest-path';

/**
 * Catalog annotation: name of the configured registry. Optional.
 *
 * @public
 */
export const ANNOTATION_REGISTRY = 'ml-gitops/registry';

/**
 * Catalog annotation: `"true"` lets the backend open a rollback pull request
 * by itself when the model's canary analysis fails or its declared version
 * does not serve in time; `"false"` keeps it from doing so when the config
 * (`mlGitops.autoRollback.allModels`) opts every model in. Optional.
 * An addition to the design contract.
 *
 * @public
 */
export const ANNOTATION_AUTO_ROLLBACK = 'ml-gitops/auto-rollback';

/**
 * What a model's {@link ANNOTATION_AUTO_ROLLBACK} annotation says: opted in
 * (true), out (false), nothing (undefined), or a value to fix.
 *
 * @public
 */
export function autoRollbackAnnotation(entity: Entity): {
  optIn?: boolean;
  problem?: string;
} {
  const value = entity.metadata.annotations?.[ANNOTATION_AUTO_ROLLBACK];
  if (value === undefined) return {};
  const word = value.trim().toLowerCase();
  if (word === 'true') return { optIn: true };
  if (word === 'false') return { optIn: false };
  return {
    problem: `the annotation ${ANNOTATION_AUTO_ROLLBACK} is ${JSON.stringify(
      value.slice(0, 50),
    )}; write "true" or "false"`,
  };
}

/**
 * The default value of {@link ANNOTATION_MANIFEST_PATH}.
 *
 * @public
 */
export const DEFAULT_MANIFEST_PATH = 'deploy/model.yaml';

/**
 * Kubernetes label on Argo CD Applications / Flux objects: the model name.
 *
 * @public
 */
export const LABEL_MODEL = 'ml-gitops/model';

/**
 * Kubernetes label on Argo CD Applications / Flux objects: the environment.
 *
 * @public
 */
export const LABEL_ENVIRONMENT = 'ml-gitops/environment';

/**
 * Kubernetes label on the rendered serving objects: the model version.
 *
 * @public
 */
export const LABEL_MODEL_VERSION = 'ml-gitops/model-version';

/**
 * The annotations that must be present for the plugin to work on an entity.
 *
 * @public
 */
export const REQUIRED_ANNOTATIONS: readonly string[] = [
  ANNOTATION_MODEL,
  ANNOTATION_CONFIG_REPO,
];

/**
 * The ml-gitops annotations of an entity, with defaults applied.
 *
 * @public
 */
export type MlGitopsAnnotations = {
  /** The model's name in the registry. */
  model?: string;
  /** URL of the config repo. */
  configRepo?: string;
  /** The manifest path; {@link DEFAULT_MANIFEST_PATH} when not annotated. */
  manifestPath: string;
  /** The configured registry's name, when annotated. */
  registry?: string;
  /** The required annotations that are missing or blank, in a stable order. */
  missing: string[];
  /**
   * What is wrong with annotations that are present, one sentence each
   * naming the annotation and what to write instead (empty when all are
   * usable). Nothing may be read for an entity with problems.
   */
  problems: string[];
};

const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Why `path` is not a manifest path inside a config repo, or undefined when
 * it is one: relative, "/"-separated segments of letters, digits, "_", "-"
 * and "." (none starting with ".", so no `..` and no Git or workflow
 * files), ending in .yaml or .yml, at most 255 characters. The same rule
 * holds for the annotation, the actions' input and every file read.
 *
 * @public
 */
export function manifestPathProblem(path: string): string | undefined {
  if (
    path.length > 255 ||
    !path.split('/').every(s => PATH_SEGMENT.test(s)) ||
    !/\.ya?ml$/.test(path)
  ) {
    return 'is not a path inside the config repo: use a relative path of letters, digits, "_", "-" and "." separated by "/", no segment starting with ".", ending in .yaml, e.g. deploy/model.yaml';
  }
  return undefined;
}

/** A Kubernetes label value, which the model name is on every object. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function readAnnotation(entity: Entity, key: string): string | undefined {
  const value = entity.metadata.annotations?.[key];
  if (typeof value !== 'string') {
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Reads the ml-gitops annotations of an entity. Blank values count as absent.
 *
 * @public
 */
export function getMlGitopsAnnotations(entity: Entity): MlGitopsAnnotations {
  const model = readAnnotation(entity, ANNOTATION_MODEL);
  const configRepo = readAnnotation(entity, ANNOTATION_CONFIG_REPO);
  const missing: string[] = [];
  if (!model) missing.push(ANNOTATION_MODEL);
  if (!configRepo) missing.push(ANNOTATION_CONFIG_REPO);
  const manifestPath =
    readAnnotation(entity, ANNOTATION_MANIFEST_PATH) ?? DEFAULT_MANIFEST_PATH;
  const problems: string[] = [];
  const pathProblem = manifestPathProblem(manifestPath);
  if (pathProblem) {
    problems.push(
      `${ANNOTATION_MANIFEST_PATH} ${JSON.stringify(
        manifestPath.slice(0, 255),
      )} ${pathProblem}`,
    );
  }
  if (model && !LABEL_VALUE.test(model)) {
    problems.push(
      `${ANNOTATION_MODEL} ${JSON.stringify(
        model.slice(0, 255),
      )} is not usable as a Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
    );
  }
  return {
    model,
    configRepo,
    manifestPath,
    registry: readAnnotation(entity, ANNOTATION_REGISTRY),
    missing,
    problems,
  };
}

/**
 * The required ml-gitops annotations an entity lacks (empty when it has all).
 *
 * @public
 */
export function getMissingMlGitopsAnnotations(entity: Entity): string[] {
  return getMlGitopsAnnotations(entity).missing;
}

/**
 * Whether the entity carries every required ml-gitops annotation; the
 * predicate for showing the entity tab and cards.
 *
 * @public
 */
export function isMlGitopsAvailable(entity: Entity): boolean {
  return getMissingMlGitopsAnnotations(entity).length === 0;
}
