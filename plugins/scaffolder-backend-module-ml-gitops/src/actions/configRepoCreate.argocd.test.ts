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
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import {
  ARGOCD_TOKEN,
  ARGOCD_URL,
  fakeArgoCd,
} from '../__testUtils__/fakeArgoCd';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { MlGitopsActionsConfig } from './config';
import { createConfigRepoCreateAction } from './configRepoCreate';

/*
 * ml-gitops:config-repo:create registering its Applications with Argo CD
 * (msw answers Argo CD's API as argo-cd's server/application does; see
 * __testUtils__/fakeArgoCd.ts).
 */

const server = setupServer();
registerMswTestHooks(server);
jest.setTimeout(60_000);

let remote: LocalConfigRepo;
beforeEach(() => {
  remote = new LocalConfigRepo();
});
afterEach(() => remote.cleanup());

const REPO = 'https://github.com/acme/fraud-detector-config.git';
const input = {
  repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
  model: 'fraud-detector',
  version: '1',
  owners: ['@acme/ml-team'],
};
const ENVIRONMENTS = ['dev', 'staging', 'production'];

function setup(
  argo: ReturnType<typeof fakeArgoCd>,
  instances: MlGitopsActionsConfig['argocd'] = [
    { name: 'main', url: ARGOCD_URL, token: ARGOCD_TOKEN },
  ],
) {
  const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
  server.use(
    ...github.handlers,
    ...argo.handlers,
    ...fakeMlflow('fraud-detector', [{ version: '1', metrics: { auc: 0.95 } }]),
  );
  const options = makeOptions();
  const action = createConfigRepoCreateAction({
    ...options,
    config: { ...options.config, argocd: instances },
    remoteUrl: () => remote.bare,
  });
  return { github, action };
}

/** What the action commits as argocd/<environment>.yaml on the first branch. */
function committedApplication(environment: string) {
  return yaml.parse(remote.show('dev', `argocd/${environment}.yaml`));
}

describe('ml-gitops:config-repo:create with Argo CD', () => {
  it('registers one Application per environment, the same as committed, whose sources include secrets/', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN, readableRepos: [REPO] });
    const { action } = setup(argo);
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const posts = argo.requests.filter(r => r.method === 'POST');
    expect(posts.map(p => p.path)).toEqual(
      ENVIRONMENTS.map(() => '/api/v1/applications?upsert=false&validate=true'),
    );
    expect(posts.map(p => p.body)).toEqual(
      ENVIRONMENTS.map(committedApplication),
    );
    const dev = posts[0].body;
    expect(dev.spec.sources).toEqual([
      expect.objectContaining({
        repoURL: REPO,
        targetRevision: 'dev',
        path: 'deploy/chart',
        helm: expect.objectContaining({ valueFiles: ['../model.yaml'] }),
      }),
      {
        repoURL: REPO,
        targetRevision: 'dev',
        path: 'secrets',
        directory: { include: '*.sealed.yaml' },
      },
    ]);
    expect(dev.spec.destination).toEqual({
      server: 'https://kubernetes.default.svc',
      namespace: 'ml-dev',
    });
    // each registration first asks whether it exists, naming the project
    expect(argo.requests.filter(r => r.method === 'GET')[0].path).toBe(
      '/api/v1/applications/fraud-detector-dev?project=default&appNamespace=argocd',
    );
    expect(
      argo.requests.every(r => r.authorization === `Bearer ${ARGOCD_TOKEN}`),
    ).toBe(true);
    expect([...argo.apps.keys()]).toEqual(
      ENVIRONMENTS.map(e => `fraud-detector-${e}`),
    );
    expect(outputsOf(ctx).applications).toEqual(
      ENVIRONMENTS.map(e => ({
        name: `fraud-detector-${e}`,
        instance: 'main',
        registration: 'created',
      })),
    );
    expect(logs.join('\n')).toContain(
      'Registered Application fraud-detector-production (project default) with Argo CD "main"',
    );
    expect(logs.join('\n')).not.toContain(ARGOCD_TOKEN);
  });

  it('uses the given instance, project, cluster name and namespace', async () => {
    const argo = fakeArgoCd({ token: 'second-token' });
    const { action } = setup(argo, [
      { name: 'main', url: ARGOCD_URL, token: ARGOCD_TOKEN },
      { name: 'eu', url: 'https://argocd.eu.example.com', token: 'x' },
    ]);
    const other = fakeArgoCd({
      url: 'https://argocd.eu.example.com',
      token: 'x',
    });
    server.use(...other.handlers);
    const { ctx } = makeContext({
      ...input,
      argocdInstance: 'eu',
      argocdProject: 'ml-models',
      destinationName: 'prod-eu',
      namespace: 'serving-{environment}',
    });
    await action.handler(ctx);
    expect(argo.requests).toEqual([]);
    const created = other.apps.get('fraud-detector-staging')!;
    expect(created.spec.project).toBe('ml-models');
    expect(created.spec.destination).toEqual({
      name: 'prod-eu',
      namespace: 'serving-staging',
    });
  });

  it('leaves an Application that already has this spec alone, and registers the rest after a retry', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN, failCreate: 2 });
    const { action } = setup(argo);
    const checkpoints = new Map<string, unknown>();
    await expect(
      action.handler(makeContext(input, { checkpoints }).ctx),
    ).rejects.toThrow(
      'Argo CD "main" (https://argocd.example.com) answered 503 to the creation of application fraud-detector-staging: connection refused',
    );
    expect([...argo.apps.keys()]).toEqual(['fraud-detector-dev']);

    // the task is retried: dev is not asked again, staging and production are created
    argo.requests.length = 0;
    const { ctx } = makeContext(input, { checkpoints });
    await action.handler(ctx);
    expect(
      argo.requests.map(r => `${r.method} ${r.path.split('?')[0]}`),
    ).toEqual([
      'GET /api/v1/applications/fraud-detector-staging',
      'POST /api/v1/applications',
      'GET /api/v1/applications/fraud-detector-production',
      'POST /api/v1/applications',
    ]);
    expect(outputsOf(ctx).applications).toEqual(
      ENVIRONMENTS.map(e =>
        expect.objectContaining({ name: `fraud-detector-${e}` }),
      ),
    );
  });

  it('counts an existing Application with the same spec (and fields Argo CD or others added) as registered', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN });
    const { action } = setup(argo);
    // A dry run tells the Applications it would register, without Argo CD.
    const dry = makeContext(input, { isDryRun: true });
    await action.handler(dry.ctx);
    expect(argo.requests).toEqual([]);
    const shown = dry.logs
      .filter(l => l.includes('would register with Argo CD "main"'))
      .map(l => yaml.parse(l.slice(l.indexOf('\n') + 1)));
    expect(shown.map(a => a.metadata.name)).toEqual(
      ENVIRONMENTS.map(e => `fraud-detector-${e}`),
    );
    expect(outputsOf(dry.ctx).applications).toEqual(
      ENVIRONMENTS.map(e => ({
        name: `fraud-detector-${e}`,
        instance: 'main',
        registration: 'dry-run',
      })),
    );
    expect(dry.logs.join('\n')).not.toContain(ARGOCD_TOKEN);

    for (const app of shown) {
      argo.seed({
        metadata: {
          ...app.metadata,
          labels: { ...app.metadata.labels, team: 'fraud-ml' },
        },
        spec: { ...app.spec, revisionHistoryLimit: 10 },
      });
    }
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);
    expect(argo.requests.map(r => r.method)).toEqual(['GET', 'GET', 'GET']);
    expect(outputsOf(ctx).applications).toEqual(
      ENVIRONMENTS.map(e => ({
        name: `fraud-detector-${e}`,
        instance: 'main',
        registration: 'unchanged',
      })),
    );
    expect(logs.join('\n')).toContain(
      'Already registered, unchanged: Application fraud-detector-dev',
    );
  });

  it('refuses an existing Application that deploys something else, and replaces its spec when told to', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN });
    argo.seed({
      metadata: {
        name: 'fraud-detector-dev',
        namespace: 'argocd',
        labels: { 'ml-gitops/model': 'fraud-detector' },
      },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://github.com/acme/legacy.git',
          path: 'fraud',
          targetRevision: 'main',
        },
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: 'ml-dev',
        },
      },
    });
    const { action } = setup(argo);
    const checkpoints = new Map<string, unknown>();
    await expect(
      action.handler(makeContext(input, { checkpoints }).ctx),
    ).rejects.toThrow(
      /Argo CD "main" already has an Application fraud-detector-dev that differs in spec.sources, spec.syncPolicy, metadata.labels.ml-gitops\/environment; it may deploy something else\. Delete it or choose another model name, or set replaceApplications: true/,
    );
    expect(argo.requests.some(r => r.method !== 'GET')).toBe(false);
    expect(argo.apps.get('fraud-detector-dev')!.spec.source.repoURL).toBe(
      'https://github.com/acme/legacy.git',
    );

    const { ctx } = makeContext(
      { ...input, replaceApplications: true },
      { checkpoints },
    );
    await action.handler(ctx);
    const put = argo.requests.find(r => r.method === 'PUT')!;
    expect(put.path).toBe(
      '/api/v1/applications/fraud-detector-dev?project=default&validate=true',
    );
    expect(put.body).toEqual(committedApplication('dev'));
    expect(outputsOf(ctx).applications).toEqual([
      { name: 'fraud-detector-dev', instance: 'main', registration: 'updated' },
      expect.objectContaining({ registration: 'created' }),
      expect.objectContaining({ registration: 'created' }),
    ]);
  });

  it('logs in with a username and password when no token is configured', async () => {
    const argo = fakeArgoCd({
      login: { username: 'ml-gitops', password: 'pw-s3cret' },
    });
    const { action } = setup(argo, [
      {
        name: 'main',
        url: ARGOCD_URL,
        username: 'ml-gitops',
        password: 'pw-s3cret',
      },
    ]);
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);
    expect(
      argo.requests.filter(r => r.path === '/api/v1/session'),
    ).toHaveLength(1);
    expect(argo.apps.size).toBe(3);
    expect(logs.join('\n')).not.toContain('pw-s3cret');
  });

  it('says which RBAC the Argo CD account needs when it is refused', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN, projects: ['default'] });
    const { action } = setup(argo);
    const failure = action.handler(
      makeContext({ ...input, argocdProject: 'ml-models' }).ctx,
    );
    await expect(failure).rejects.toThrow(
      /answered 403 to GET application fraud-detector-dev: permission denied; either the Application exists in another project than ml-models, or the Argo CD account needs, in argocd-rbac-cm, "p, <role>, applications, get, ml-models\/\*, allow"/,
    );
    await expect(failure).rejects.not.toThrow(ARGOCD_TOKEN);
  });

  it('says Argo CD must be able to read the repo', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN, readableRepos: [] });
    const { action } = setup(argo);
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /repository not accessible.*add it, or a credential template for its owner, under Settings → Repositories/,
    );
  });

  it.each([
    [
      { argocdInstance: 'elsewhere' },
      'argocdInstance "elsewhere" is not configured; choose one of main (mlGitops.argocd.instances)',
    ],
    [
      { destinationName: 'prod-eu', destinationServer: 'https://k8s.example' },
      'give destinationServer or destinationName, not both',
    ],
    [{ destinationName: 'Prod EU' }, 'destinationName'],
    [
      { operator: 'none', argocdInstance: 'main' },
      'argocdInstance is set but operator is none',
    ],
  ])('refuses %j before touching Git or Argo CD', async (change, message) => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN });
    const { action, github } = setup(argo);
    await expect(
      action.handler(makeContext({ ...input, ...change } as typeof input).ctx),
    ).rejects.toThrow(message);
    expect(github.created).toEqual([]);
    expect(argo.requests).toEqual([]);
  });

  it('refuses operator argocd without a configured instance', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN });
    const { action } = setup(argo, []);
    await expect(
      action.handler(
        makeContext({ ...input, operator: 'argocd' as const }).ctx,
      ),
    ).rejects.toThrow(
      'operator argocd needs an Argo CD instance in mlGitops.argocd.instances',
    );
  });

  it('registers nothing with operator none, and says so', async () => {
    const argo = fakeArgoCd({ token: ARGOCD_TOKEN });
    const { action } = setup(argo);
    const { ctx, logs } = makeContext({ ...input, operator: 'none' as const });
    await action.handler(ctx);
    expect(argo.requests).toEqual([]);
    expect(outputsOf(ctx)).not.toHaveProperty('applications');
    expect(logs.join('\n')).toContain('Registered nothing (operator none)');
  });
});
