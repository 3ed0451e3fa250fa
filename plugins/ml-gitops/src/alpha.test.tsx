import plugin from './alpha';
import { mlGitopsPlugin } from './plugin';

describe('ml-gitops frontend plugin', () => {
  it('is a new frontend system plugin with the API, cards, tab and page', () => {
    expect(plugin.pluginId).toBe('ml-gitops');
    expect(plugin.routes.root).toBeDefined();
    expect(plugin.externalRoutes.createFromTemplate).toBeDefined();
    for (const id of [
      'api:ml-gitops',
      'entity-card:ml-gitops/deployments',
      'entity-card:ml-gitops/drift',
      'entity-content:ml-gitops',
      'page:ml-gitops',
    ] as const) {
      expect(plugin.getExtension(id)).toBeDefined();
    }
  });

  it('is a legacy plugin with the same id', () => {
    expect(mlGitopsPlugin.getId()).toBe('ml-gitops');
    expect(mlGitopsPlugin.getApis()).toHaveLength(1);
  });
});
