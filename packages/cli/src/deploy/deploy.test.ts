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

import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanupTmpDirs, runCli, tmpDir } from '../__testUtils__/helpers';

const BACKSTAGE = 'http://backstage.test';
const API = `${BACKSTAGE}/api/scaffolder`;
const TOKEN = 'static-ci-token-9f8e7d6c5b4a';
const TASK = 'a1b2c3d4-0000-4000-8000-000000000001';
const PR = 'https://github.com/acme/fraud-detector-config/pull/42';
const ENV = { BACKSTAGE_URL: BACKSTAGE, BACKSTAGE_TOKEN: TOKEN };

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

/** A task event as the scaffolder's `GET /v2/tasks/:id/events` sends it. */
function event(
  id: number,
  type: 'log' | 'completion',
  body: Record<string, unknown>,
) {
  return {
    id,
    isTaskRecoverable: false,
    taskId: TASK,
    body,
    type,
    createdAt: `2026-11-28T10:00:0${id}.000Z`,
  };
}

const completed = (id: number) =>
  event(id, 'completion', {
    message: 'Run completed with status: completed',
    output: {
      links: [
        { title: 'Pull request', url: PR },
        {
          title: 'Model',
          icon: 'catalog',
          entityRef: 'component:default/fraud-detector',
        },
      ],
    },
  });

/**
 * The scaffolder API answering one task: `POST /v2/tasks` then the events in
 * batches, one batch per long-poll request.
 */
function scaffolder(batches: unknown[][]) {
  const created: { body: any; authorization: string | null }[] = [];
  const polls: (string | null)[] = [];
  server.use(
    http.post(`${API}/v2/tasks`, async ({ request }) => {
      created.push({
        body: await request.json(),
        authorization: request.headers.get('authorization'),
      });
      return HttpResponse.json({ id: TASK }, { status: 201 });
    }),
    http.get(`${API}/v2/tasks/${TASK}/events`, ({ request }) => {
      polls.push(new URL(request.url).searchParams.get('after'));
      expect(request.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
      return HttpResponse.json(batches.shift() ?? []);
    }),
  );
  return { created, polls };
}

const deploy = (args: string[], env: NodeJS.ProcessEnv = ENV) =>
  runCli(['deploy', ...args], { env });

/** Deploys `version` of the fraud-detector entity, with `more` options. */
const deployFraudDetector = (version: string, ...more: string[]) =>
  deploy([
    '--entity',
    'component:default/fraud-detector',
    '--version',
    version,
    ...more,
  ]);

describe('ml-gitops deploy', () => {
  it('runs the deploy template, follows the task and prints the pull request', async () => {
    const api = scaffolder([
      [
        event(1, 'log', {
          stepId: 'deploy',
          status: 'processing',
          message: 'Beginning step Open the deployment pull request',
        }),
        event(2, 'log', {
          stepId: 'deploy',
          message: 'fraud-detector version 13 is READY; gate passed',
        }),
      ],
      [completed(3)],
    ]);
    const summary = path.join(tmpDir(), 'summary.md');

    const result = await deploy(
      ['--entity', 'component:default/fraud-detector', '--version', '13'],
      { ...ENV, GITHUB_STEP_SUMMARY: summary },
    );

    expect(result.stdout).toBe(`${PR}\n`);
    expect(result.exitCode).toBe(0);
    expect(api.created).toEqual([
      {
        body: {
          templateRef: 'template:default/ml-gitops-deploy',
          values: {
            entityRef: 'component:default/fraud-detector',
            version: '13',
          },
        },
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
    // The second long poll asks only for what came after the last event.
    expect(api.polls).toEqual([null, '2']);
    expect(result.stderr).toContain(`(task ${TASK})`);
    expect(result.stderr).toContain(
      '[deploy] fraud-detector version 13 is READY; gate passed',
    );
    expect(result.output).not.toContain(TOKEN);
    expect(readFileSync(summary, 'utf8')).toBe(
      `Deployment pull request for component:default/fraud-detector version 13: ${PR}\n`,
    );
  });

  it('takes the entity from ML_GITOPS_ENTITY_REF and passes --environment and --template', async () => {
    const api = scaffolder([[completed(1)]]);
    const result = await deploy(
      [
        '--version',
        '7',
        '--environment',
        'staging',
        '--template',
        'template:platform/deploy',
        '--backstage-url',
        `${BACKSTAGE}/`,
      ],
      {
        ML_GITOPS_ENTITY_REF: 'component:default/fraud-detector',
        BACKSTAGE_TOKEN: TOKEN,
      },
    );
    expect([result.exitCode, result.stdout]).toEqual([0, `${PR}\n`]);
    expect(api.created[0].body).toEqual({
      templateRef: 'template:platform/deploy',
      values: {
        entityRef: 'component:default/fraud-detector',
        version: '7',
        environment: 'staging',
      },
    });
  });

  it('exits 1 with the reason when the deploy task fails', async () => {
    scaffolder([
      [
        event(1, 'log', {
          stepId: 'deploy',
          status: 'failed',
          message:
            'InputError: fraud-detector version 99 does not exist in mlflow-default',
        }),
        event(2, 'completion', {
          message: 'Run completed with status: failed',
          error: {
            name: 'InputError',
            message:
              'fraud-detector version 99 does not exist in mlflow-default',
          },
        }),
      ],
    ]);
    const result = await deployFraudDetector('99');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `the deploy task ${TASK} failed: fraud-detector version 99 does not exist in mlflow-default`,
    );
  });

  it('reports the values the template refuses (exit 2)', async () => {
    server.use(
      http.post(`${API}/v2/tasks`, () =>
        HttpResponse.json(
          {
            errors: [
              {
                property: 'instance.version',
                message: 'does not match pattern',
                stack: 'instance.version does not match pattern',
              },
            ],
          },
          { status: 400 },
        ),
      ),
    );
    const result = await deployFraudDetector('13');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'template:default/ml-gitops-deploy refused the values: instance.version does not match pattern',
    );
  });

  it.each([
    [401, 'check the token'],
    [403, 'check the token'],
    [404, 'check the URL'],
    [503, '503'],
  ])(
    'explains a %s from Backstage without leaking the token',
    async (status, hint) => {
      server.use(
        http.post(`${API}/v2/tasks`, () =>
          HttpResponse.json(
            {
              error: { name: 'Error', message: `status ${status}` },
              request: { method: 'POST', url: '/api/scaffolder/v2/tasks' },
              response: { statusCode: status },
            },
            { status },
          ),
        ),
      );
      const result = await deployFraudDetector('13');
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(hint);
      expect(result.stderr).toContain(`status ${status}`);
      expect(result.output).not.toContain(TOKEN);
    },
  );

  it('says when Backstage cannot be reached (exit 2)', async () => {
    server.use(http.post(`${API}/v2/tasks`, () => HttpResponse.error()));
    const result = await deployFraudDetector('13');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`cannot reach Backstage at ${BACKSTAGE}`);
  });

  it('fails when the output has no pull request link', async () => {
    scaffolder([
      [
        event(1, 'completion', {
          message: 'Run completed with status: completed',
          output: { links: [{ title: 'Repository', url: 'https://x.test' }] },
        }),
      ],
    ]);
    const result = await deployFraudDetector('13');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no "Pull request" link');
  });

  it('gives up after --timeout with the task id', async () => {
    const api = scaffolder([]);
    const started = Date.now();
    const result = await deployFraudDetector('13', '--timeout', '1');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `task ${TASK} did not finish within 1 s; it may still open the pull request`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(api.polls.length).toBeGreaterThanOrEqual(1);
    expect(api.polls.length).toBeLessThan(5);
  });

  it.each([
    [[], ENV, '--entity is required'],
    [
      ['--entity', 'fraud detector', '--version', '1'],
      ENV,
      'is not an entity reference',
    ],
    [['--entity', 'component:default/x'], ENV, '--version is required'],
    [
      ['--entity', 'component:default/x', '--version', '1 2'],
      ENV,
      'is not a registry version id',
    ],
    [
      ['--entity', 'component:default/x', '--version', '1'],
      { BACKSTAGE_TOKEN: TOKEN },
      '--backstage-url is required',
    ],
    [
      ['--entity', 'component:default/x', '--version', '1'],
      { BACKSTAGE_URL: BACKSTAGE },
      'the variable BACKSTAGE_TOKEN is not set or empty',
    ],
    [
      ['--entity', 'component:default/x', '--version', '1'],
      { ...ENV, BACKSTAGE_URL: 'https://user:pw@backstage.test' },
      'must not carry credentials',
    ],
    [
      [
        '--entity',
        'component:default/x',
        '--version',
        '1',
        '--token-env',
        'A-B',
      ],
      ENV,
      '--token-env takes the name of an environment variable',
    ],
    [
      ['--entity', 'component:default/x', '--version', '1', '--timeout', '0'],
      ENV,
      '--timeout takes whole seconds',
    ],
    [['--nope'], ENV, "Unknown option '--nope'"],
  ])(
    '%j is a usage error before any request (exit 2)',
    async (args, env, message) => {
      // onUnhandledRequest: 'error' fails the test on any request.
      const result = await deploy(args as string[], env);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: ml-gitops deploy');
    },
  );

  it('prints its help', async () => {
    const result = await deploy(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: ml-gitops deploy');
  });

  it('is listed in the main usage', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).toContain('ml-gitops deploy --help');
  });
});
