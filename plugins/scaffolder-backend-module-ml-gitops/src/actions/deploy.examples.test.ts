import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import {
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createDeployAction } from './deploy';
import { examples } from './deploy.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

describe('ml-gitops:deploy examples', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
      for (const branch of ['dev', 'staging', 'production']) {
        repo.commit({
          branch,
          parents: [],
          message: `Initial ${branch}`,
          date: '2026-11-01T10:00:00Z',
          files: { 'deploy/model.yaml': manifest('12') },
        });
      }
      server.use(
        ...repo.writeHandlers(),
        ...repo.handlers(),
        ...fakeMlflow('fraud-detector', [
          { version: '13', metrics: { auc: 0.95 } },
          { version: '14', metrics: { auc: 0.5 } },
        ]),
      );
      const action = createDeployAction(makeOptions());
      const step = yaml.parse(example).steps[0];
      expect(step.action).toBe(action.id);
      const { ctx } = makeContext(step.input);
      await action.handler(ctx);
      expect(outputsOf(ctx).pullRequestUrl).toMatch(
        /^https:\/\/github.com\/acme\/fraud-detector-config\/pull\/\d+$/,
      );
      expect(repo.opened).toHaveLength(1);
    },
  );
});
