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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import { makeContext, makeOptions, outputsOf } from '../__testUtils__/setup';
import { makeSealingKeys } from '../__testUtils__/sealing';
import { createSealSecretAction } from './sealSecret';
import { examples } from './sealSecret.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const keys = makeSealingKeys();

/** Stands in for the scaffolder's templating of secrets and parameters. */
function render(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value).replace(
      /\$\{\{ (secrets|parameters)\.(\w+) \}\}/g,
      (_m, _s, name) =>
        name === 'certificate'
          ? JSON.stringify(keys.certificate).slice(1, -1)
          : `value-of-${name}`,
    ),
  );
}

describe('ml-gitops:secret:seal examples', () => {
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
        http.get('https://sealed-secrets.prod.example.com/v1/cert.pem', () =>
          HttpResponse.text(keys.certificate),
        ),
      );
      const action = createSealSecretAction(
        makeOptions({
          sealedSecrets: {
            environments: {
              production: {
                certificateUrl:
                  'https://sealed-secrets.prod.example.com/v1/cert.pem',
              },
            },
            allowPastedCertificate: true,
          },
        }),
      );
      const step = yaml.parse(example).steps[0];
      expect(step.action).toBe(action.id);
      const { ctx } = makeContext(render(step.input) as any);
      await action.handler(ctx);
      expect(outputsOf(ctx).pullRequestUrl).toMatch(/\/pull\/\d+$/);
      expect(repo.opened).toHaveLength(1);
    },
  );
});
