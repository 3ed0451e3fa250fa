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
});
