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
import { NotAllowedError } from '@backstage/errors';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { mlGitopsTabChanges } from '@ml-gitops/plugin-ml-gitops-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import {
  fakePermissions,
  makeContext,
  makeOptions,
} from './__testUtils__/setup';
import { createPromoteAction } from './actions/promote';
import { createRollbackAction } from './actions/rollback';

/*
 * The ML GitOps tab's buttons and the server agree on who may make a change:
 * each button opens the template of `mlGitopsTabChanges` and is disabled
 * without its permission (the frontend's test); here the template runs the
 * action named there, and that action refuses without the same permission and
 * goes on with it.
 */

const server = setupServer();
registerMswTestHooks(server);

const TEMPLATES = path.resolve(__dirname, '../../../templates');

const actions: Record<
  string,
  (options: ReturnType<typeof makeOptions>) => TemplateAction<any, any, any>
> = {
  'ml-gitops:promote': createPromoteAction,
  // a clone from a folder that does not exist: no network
  'ml-gitops:rollback': options =>
    createRollbackAction({
      ...options,
      remoteUrl: () => path.join(__dirname, 'no-such-repo.git'),
    }),
};

/** What the template's form holds when the tab's button opened it. */
const prefilled: Record<string, Record<string, unknown>> = {
  promote: {
    entityRef: 'component:default/fraud-detector',
    sourceEnvironment: 'staging',
    targetEnvironment: 'production',
    allowUnverifiedSource: true,
  },
  rollback: {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
    reason: 'p95 latency doubled',
    rejectVersion: false,
  },
};

describe('the tab’s changes', () => {
  it.each(Object.entries(mlGitopsTabChanges))(
    '%s: the template runs the action that checks the button’s permission, both ways',
    async (kind, change) => {
      const template = yaml.parse(
        fs.readFileSync(
          path.join(TEMPLATES, `${change.template.name}.yaml`),
          'utf8',
        ),
      );
      expect(template.metadata.name).toBe(change.template.name);
      expect(template.spec.steps.map((s: any) => s.action)).toContain(
        change.action,
      );

      // Denied: refused on the server, naming the permission.
      const denied = fakePermissions([change.permission.name]);
      const refused = actions[change.action](
        makeOptions({ permissions: denied.service }),
      );
      const error = await refused
        .handler(makeContext(prefilled[kind] as any).ctx)
        .catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toContain(change.permission.name);

      // Allowed: the same permission is asked, and the action goes past it,
      // to the Git host, which answers it unavailable here.
      const reachedGitHost: string[] = [];
      server.use(
        http.all('https://api.github.com/*', ({ request }) => {
          reachedGitHost.push(`${request.method} ${request.url}`);
          return HttpResponse.json(
            { message: 'Service unavailable' },
            { status: 503 },
          );
        }),
      );
      const allowed = fakePermissions();
      const going = actions[change.action](
        makeOptions({ permissions: allowed.service }),
      );
      const after = await going
        .handler(makeContext(prefilled[kind] as any).ctx)
        .catch(e => e);
      expect(after).not.toBeInstanceOf(NotAllowedError);
      // where each stopped: promote reads the source branch on the host;
      // rollback clones the config repo
      expect(String(after?.message)).toMatch(
        change.action === 'ml-gitops:promote'
          ? /Reading branch staging .* failed with 503/
          : /git clone failed .*no-such-repo\.git/,
      );
      expect(reachedGitHost.length > 0).toBe(
        change.action === 'ml-gitops:promote',
      );
      expect(allowed.asked.map(a => a.permission)).toContain(
        change.permission.name,
      );
    },
  );
});
