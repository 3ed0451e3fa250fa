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
import {
  ANNOTATION_CONFIG_REPO,
  ANNOTATION_MANIFEST_PATH,
  ANNOTATION_MODEL,
  ANNOTATION_REGISTRY,
  DEFAULT_MANIFEST_PATH,
  getMissingMlGitopsAnnotations,
  getMlGitopsAnnotations,
  isMlGitopsAvailable,
  manifestPathProblem,
} from './annotations';

function entity(annotations?: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'fraud-detector', annotations },
    spec: {},
  };
}

describe('annotations', () => {
  it('has the contract names', () => {
    expect(ANNOTATION_MODEL).toBe('ml-gitops/model');
    expect(ANNOTATION_CONFIG_REPO).toBe('ml-gitops/config-repo');
    expect(ANNOTATION_MANIFEST_PATH).toBe('ml-gitops/manifest-path');
    expect(ANNOTATION_REGISTRY).toBe('ml-gitops/registry');
    expect(DEFAULT_MANIFEST_PATH).toBe('deploy/model.yaml');
  });

  it('reads every annotation', () => {
    const e = entity({
      [ANNOTATION_MODEL]: 'fraud-detector',
      [ANNOTATION_CONFIG_REPO]: 'https://github.com/acme/fraud-detector-config',
      [ANNOTATION_MANIFEST_PATH]: 'models/fraud.yaml',
      [ANNOTATION_REGISTRY]: 'mlflow-eu',
    });
    expect(getMlGitopsAnnotations(e)).toEqual({
      model: 'fraud-detector',
      configRepo: 'https://github.com/acme/fraud-detector-config',
      manifestPath: 'models/fraud.yaml',
      registry: 'mlflow-eu',
      missing: [],
      problems: [],
    });
    expect(isMlGitopsAvailable(e)).toBe(true);
  });

  it('defaults the manifest path and lists the missing annotations', () => {
    const e = entity({ [ANNOTATION_MODEL]: 'fraud-detector' });
    expect(getMlGitopsAnnotations(e)).toEqual({
      model: 'fraud-detector',
      configRepo: undefined,
      manifestPath: DEFAULT_MANIFEST_PATH,
      registry: undefined,
      missing: [ANNOTATION_CONFIG_REPO],
      problems: [],
    });
    expect(isMlGitopsAvailable(e)).toBe(false);
  });

  it('treats absent annotations and blank values as missing', () => {
    expect(getMissingMlGitopsAnnotations(entity())).toEqual([
      ANNOTATION_MODEL,
      ANNOTATION_CONFIG_REPO,
    ]);
    expect(
      getMissingMlGitopsAnnotations(
        entity({ [ANNOTATION_MODEL]: '  ', [ANNOTATION_CONFIG_REPO]: '' }),
      ),
    ).toEqual([ANNOTATION_MODEL, ANNOTATION_CONFIG_REPO]);
  });

  it.each([
    // `..` collapses in the API URL: /repos/o/r/contents/../../../user/repos
    '../../../user/repos.yaml',
    'deploy/../../../../orgs/acme/teams.yaml',
    './deploy/model.yaml',
    '/deploy/model.yaml',
    'deploy//model.yaml',
    '.github/workflows/validate.yaml',
    'deploy/model.json',
    'deploy/model.yaml?ref=main',
    'deploy/%2e%2e/model.yaml',
    `${'a/'.repeat(130)}model.yaml`,
  ])('refuses the manifest-path %j that could leave the config repo', path => {
    const annotations = getMlGitopsAnnotations(
      entity({
        [ANNOTATION_MODEL]: 'fraud-detector',
        [ANNOTATION_CONFIG_REPO]:
          'https://github.com/acme/fraud-detector-config',
        [ANNOTATION_MANIFEST_PATH]: path,
      }),
    );
    expect(annotations.problems).toEqual([
      `ml-gitops/manifest-path ${JSON.stringify(
        path.slice(0, 255),
      )} is not a path inside the config repo: use a relative path of letters, digits, "_", "-" and "." separated by "/", no segment starting with ".", ending in .yaml, e.g. deploy/model.yaml`,
    ]);
    expect(manifestPathProblem(path)).toBeDefined();
  });

  it('refuses a model name that is no Kubernetes label value', () => {
    expect(
      getMlGitopsAnnotations(
        entity({
          [ANNOTATION_MODEL]: 'fraud detector',
          [ANNOTATION_CONFIG_REPO]:
            'https://github.com/acme/fraud-detector-config',
        }),
      ).problems,
    ).toEqual([
      'ml-gitops/model "fraud detector" is not usable as a Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ]);
  });
});
