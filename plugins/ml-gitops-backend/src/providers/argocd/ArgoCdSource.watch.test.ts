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

import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { LiveObservationChanges } from '@ml-gitops/plugin-ml-gitops-node';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { parseStreamFields, selectStreamFields } from 'sandbox';
import {
  argoCdApplication,
  argoCdVersionHandler,
  ArgoCdAppInput,
} from '../../__testUtils__/argoCd';
import { eventually, TestEventStream } from '../../__testUtils__/eventStreams';
import { WATCH_FIELDS } from './applications';
import { ArgoCdSource } from './ArgoCdSource';

const URL_ = 'https://argocd.example.com';
const C_OLD = '3b1f0a9c2d4e5f60718293a4b5c6d7e8f9a0b1c2';
const C_NEW = '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e';
const STREAM = `${URL_}/api/v1/stream/applications`;

/** An Application at a resource version, as Argo CD holds it. */
function app(input: ArgoCdAppInput, resourceVersion: number) {
  const a = argoCdApplication(input);
  return {
    ...a,
    metadata: { ...a.metadata, resourceVersion: String(resourceVersion) },
  };
}

/**
 * One server-sent event of the stream, filtered by the request's `fields`
 * as Argo CD's stream forwarder filters it (the sandbox's emulation of
 * argoproj/pkg grpc/http `NewStreamForwarder`).
 */
function sse(
  request: Request,
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  application: unknown,
) {
  const fields = parseStreamFields(
    new URL(request.url).searchParams.get('fields'),
  );
  return `data: ${JSON.stringify(
    selectStreamFields({ type, application }, fields),
  )} \n\n`;
}

describe('ArgoCdSource.watch', () => {
  const server = setupServer(argoCdVersionHandler(URL_));
  registerMswTestHooks(server);

  /** Each connection of the stream: its request and the answer the test writes. */
  let connections: Array<{ request: Request; stream: TestEventStream }>;
  beforeEach(() => {
    connections = [];
    server.use(
      http.get(STREAM, ({ request }) => {
        const stream = new TestEventStream(request, 'text/event-stream');
        connections.push({ request, stream });
        return stream.response;
      }),
    );
  });

  const watching = (
    options: { token?: string; username?: string; idleMs?: number } = {
      token: 't',
    },
  ) => {
    const logger = mockServices.logger.mock();
    const source = ArgoCdSource.fromConfig(
      {
        name: 'main',
        url: URL_,
        projects: ['ml-models'],
        ...(options.username
          ? { username: options.username, password: 'pw' }
          : { token: options.token ?? 't' }),
      },
      {
        logger,
        watch: {
          backoff: { initialMs: 5, maxMs: 20 },
          ...(options.idleMs ? { idleMs: options.idleMs } : {}),
        },
      },
    );
    const changes: LiveObservationChanges[] = [];
    const controller = new AbortController();
    source.watch(c => changes.push(c), controller.signal);
    return { source, changes, controller, logger };
  };
  const last = () => connections[connections.length - 1];

  it('turns the first ADDED events, then changes and deletions, into what the list reports', async () => {
    const { changes, controller } = watching();
    await eventually(() => connections.length === 1, 'the stream request');
    const query = new URL(last().request.url).searchParams;
    expect(query.get('selector')).toBe('ml-gitops/model');
    expect(query.getAll('projects')).toEqual(['ml-models']);
    expect(query.get('fields')).toBe(WATCH_FIELDS);
    // A first connection asks for everything: Argo CD sends every
    // Application as ADDED first.
    expect(query.has('resourceVersion')).toBe(false);
    expect(last().request.headers.get('accept')).toBe('text/event-stream');
    expect(last().request.headers.get('authorization')).toBe('Bearer t');
    // uncompressed, so that no compressor on the way holds events back
    expect(last().request.headers.get('accept-encoding')).toBe('identity');

    const { request, stream } = last();
    stream.write(
      sse(
        request,
        'ADDED',
        app(
          {
            model: 'fraud-detector',
            environment: 'dev',
            revision: C_OLD,
            operation: {
              phase: 'Succeeded',
              startedAt: '2026-11-27T10:00:00Z',
              finishedAt: '2026-11-27T10:00:42Z',
            },
          },
          101,
        ),
      ) +
        sse(
          request,
          'ADDED',
          app({ model: 'churn', environment: 'staging', revision: C_OLD }, 102),
        ),
    );
    await eventually(() => changes.length === 1, 'the ADDED batch');
    expect(changes[0].complete).toBe(false);
    expect(changes[0].removed).toEqual([]);
    expect(changes[0].observations).toEqual([
      {
        model: 'fraud-detector',
        environment: 'dev',
        source: 'argocd',
        instance: 'main',
        application: 'fraud-detector-dev',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        revision: C_OLD,
        operationRunning: false,
        lastSyncFinishedAt: '2026-11-27T10:00:42.000Z',
        url: `${URL_}/applications/argocd/fraud-detector-dev`,
      },
      expect.objectContaining({
        model: 'churn',
        environment: 'staging',
        application: 'churn-staging',
        revision: C_OLD,
      }),
    ]);

    // A sync runs: the Application is modified.
    stream.write(
      sse(
        request,
        'MODIFIED',
        app(
          {
            model: 'fraud-detector',
            environment: 'dev',
            syncStatus: 'OutOfSync',
            healthStatus: 'Progressing',
            revision: C_OLD,
            operation: {
              phase: 'Running',
              startedAt: '2026-11-27T11:00:00Z',
              revision: C_NEW,
            },
          },
          103,
        ),
      ),
    );
    await eventually(() => changes.length === 2, 'the MODIFIED event');
    expect(changes[1].observations).toEqual([
      expect.objectContaining({
        application: 'fraud-detector-dev',
        syncStatus: 'OutOfSync',
        healthStatus: 'Progressing',
        // The running operation's sync result names what it applies.
        revision: C_NEW,
        operationRunning: true,
      }),
    ]);

    // The Application is deleted: the model environment is gone.
    stream.write(
      sse(
        request,
        'DELETED',
        app({ model: 'churn', environment: 'staging' }, 104),
      ),
    );
    await eventually(() => changes.length === 3, 'the DELETED event');
    expect(changes[2]).toEqual({
      observations: [],
      removed: [
        {
          model: 'churn',
          environment: 'staging',
          application: 'churn-staging',
        },
      ],
      complete: false,
    });
    controller.abort();
  });

  it('reconnects after a dropped connection and resumes from the last resource version', async () => {
    const { changes, controller, logger } = watching();
    await eventually(() => connections.length === 1, 'the stream request');
    const first = last();
    first.stream.write(
      sse(
        first.request,
        'ADDED',
        app({ model: 'churn', environment: 'dev', revision: C_OLD }, 205),
      ) +
        sse(
          first.request,
          'ADDED',
          app({ model: 'fraud-detector', environment: 'dev' }, 117),
        ),
    );
    await eventually(() => changes.length === 1, 'the ADDED batch');
    first.stream.drop();
    await eventually(() => connections.length === 2, 'a second connection');
    // Argo CD sends then only Applications at this version or later.
    expect(
      new URL(last().request.url).searchParams.get('resourceVersion'),
    ).toBe('205');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        'The application event stream of Argo CD "main" at https://argocd.example.com broke off',
      ),
    );
    const second = last();
    second.stream.write(
      sse(
        second.request,
        'MODIFIED',
        app({ model: 'churn', environment: 'dev', revision: C_NEW }, 206),
      ),
    );
    await eventually(() => changes.length === 2, 'the resumed event');
    expect(changes[1].observations).toEqual([
      expect.objectContaining({ application: 'churn-dev', revision: C_NEW }),
    ]);
    // A stream the server ends by itself is followed at once, from the
    // newest version.
    second.stream.end();
    await eventually(() => connections.length === 3, 'a third connection');
    expect(
      new URL(last().request.url).searchParams.get('resourceVersion'),
    ).toBe('206');
    controller.abort();
  });

  it('reconnects after an error event, logging in anew when the session expired', async () => {
    let logins = 0;
    server.use(
      http.post(`${URL_}/api/v1/session`, () => {
        logins += 1;
        return HttpResponse.json({ token: `session-${logins}` });
      }),
    );
    const { controller, logger } = watching({ username: 'admin' });
    await eventually(() => connections.length === 1, 'the stream request');
    expect(last().request.headers.get('authorization')).toBe(
      'Bearer session-1',
    );
    // grpc-gateway's stream error (handleForwardResponseStreamError).
    last().stream.write(
      `data: ${JSON.stringify({
        error: {
          grpc_code: 16,
          http_code: 401,
          message:
            'invalid session: token has invalid claims: token is expired',
          http_status: 'Unauthorized',
        },
      })} \n\n`,
    );
    await eventually(() => connections.length === 2, 'a second connection');
    expect(last().request.headers.get('authorization')).toBe(
      'Bearer session-2',
    );
    expect(connections[0].stream.closed).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        'ended the application event stream with an error (401): invalid session: token has invalid claims: token is expired',
      ),
    );
    controller.abort();
  });

  it('backs off while Argo CD refuses the stream, and keeps trying', async () => {
    let refusals = 0;
    server.use(
      http.get(STREAM, () => {
        refusals += 1;
        return HttpResponse.json(
          { error: 'permission denied', code: 7, message: 'permission denied' },
          { status: 403 },
        );
      }),
    );
    const { controller, logger } = watching();
    await eventually(() => refusals >= 3, 'three attempts');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        'Argo CD "main" answered 403 to /api/v1/stream/applications: permission denied',
      ),
    );
    controller.abort();
  });

  it('takes a stream without keepalives for dead and reconnects', async () => {
    const { controller } = watching({ token: 't', idleMs: 50 });
    await eventually(() => connections.length === 1, 'the stream request');
    last().stream.write(':\n');
    await eventually(() => connections.length === 2, 'a reconnect', 2_000);
    expect(connections[0].stream.closed).toBe(true);
    controller.abort();
  });

  it('stops when aborted: the stream is closed and nothing reconnects', async () => {
    const { changes, controller } = watching();
    await eventually(() => connections.length === 1, 'the stream request');
    controller.abort();
    await eventually(() => last().stream.closed, 'the stream to close');
    last().stream.write(
      sse(
        last().request,
        'ADDED',
        app({ model: 'churn', environment: 'dev' }, 300),
      ),
    );
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(connections).toHaveLength(1);
    expect(changes).toEqual([]);
  });

  it('a new watch (a restarted backend) starts from the full ADDED set', async () => {
    const before = watching();
    await eventually(() => connections.length === 1, 'the stream request');
    last().stream.write(
      sse(
        last().request,
        'ADDED',
        app({ model: 'churn', environment: 'dev' }, 410),
      ),
    );
    await eventually(() => before.changes.length === 1, 'the ADDED event');
    before.controller.abort();

    const after = watching();
    await eventually(() => connections.length === 2, 'the new stream request');
    expect(
      new URL(last().request.url).searchParams.has('resourceVersion'),
    ).toBe(false);
    last().stream.write(
      sse(
        last().request,
        'ADDED',
        app({ model: 'churn', environment: 'dev' }, 410),
      ),
    );
    await eventually(() => after.changes.length === 1, 'the ADDED event');
    expect(after.changes[0].observations).toEqual([
      expect.objectContaining({ application: 'churn-dev' }),
    ]);
    after.controller.abort();
  });
});
