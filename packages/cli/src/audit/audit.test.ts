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

import type {
  AuditEvent,
  AuditStateItem,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanupTmpDirs, runCli, tmpDir } from '../__testUtils__/helpers';

/*
 * `ml-gitops audit` against a local HTTP server that answers the ML GitOps
 * backend's audit routes (`/api/ml-gitops/v1/audit/*`) the way the backend
 * does: JSON pages with `nextCursor`, CSV streamed in chunks, errors as
 * Backstage's `{ error: { message } }` bodies.
 */

const TOKEN = 'audit-token-5e4d3c2b1a';
const FRAUD = 'component:default/fraud-detector';

type Handler = (
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let handler: Handler;
const requests: URL[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    requests.push(url);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { name: 'AuthenticationError', message: 'Illegal token' },
        }),
      );
      return;
    }
    Promise.resolve(handler(url, req, res)).catch(error => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise(resolve => server.close(resolve)));
afterEach(() => {
  requests.length = 0;
  cleanupTmpDirs();
});

const env = () => ({ BACKSTAGE_URL: baseUrl, BACKSTAGE_TOKEN: TOKEN });

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const production: AuditStateItem = {
  entityRef: FRAUD,
  environment: 'production',
  declared: {
    version: '11',
    commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    committedAt: '2026-11-05T12:00:00.000Z',
    author: 'ada',
    kind: 'rollback',
    reason: 'latency regression',
    pullRequest: {
      number: 42,
      url: 'https://github.com/acme/fraud-detector-config/pull/42',
      mergedBy: 'linus',
      reviewers: ['margaret'],
    },
    checks: {
      checkedAt: '2026-11-05T12:00:30.000Z',
      registry: { exists: true, gate: 'passed', metrics: { auc: 0.95 } },
    },
  },
  serving: { version: '11', since: '2026-11-05T12:04:00.000Z' },
  certain: true,
};

const staging: AuditStateItem = {
  entityRef: 'component:default/churn-predictor',
  environment: 'staging',
  declared: null,
  serving: null,
  certain: false,
  note: 'No deployment is recorded for this environment.',
};

describe('ml-gitops audit --at', () => {
  it('follows the pages of the fleet and prints each environment', async () => {
    handler = (url, _req, res) => {
      expect(url.pathname).toBe('/api/ml-gitops/v1/audit/state');
      expect(url.searchParams.get('at')).toBe('2026-11-06T00:00:00Z');
      if (!url.searchParams.get('cursor')) {
        json(res, 200, {
          at: '2026-11-06T00:00:00.000Z',
          items: [staging],
          nextCursor: 'page-2',
        });
      } else {
        json(res, 200, { at: '2026-11-06T00:00:00.000Z', items: [production] });
      }
    };
    const result = await runCli(['audit', '--at', '2026-11-06T00:00:00Z'], {
      env: env(),
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        'As of 2026-11-06T00:00:00.000Z:',
        '',
        'component:default/churn-predictor staging',
        '  declared: unknown',
        '  serving:  unknown',
        '  uncertain: No deployment is recorded for this environment.',
        '',
        'component:default/fraud-detector production',
        '  declared: 11 (rollback a1b2c3d, merged 2026-11-05T12:00:00.000Z, by ada, PR #42 https://github.com/acme/fraud-detector-config/pull/42, merged by linus, approved by margaret)',
        '  reason:   latency regression',
        '  checks:   gate passed (auc=0.95), read 2026-11-05T12:00:30.000Z',
        '  serving:  11 since 2026-11-05T12:04:00.000Z',
        '  certain',
        '',
      ].join('\n'),
    );
    expect(requests.map(r => r.searchParams.get('cursor'))).toEqual([
      null,
      'page-2',
    ]);
  });

  it('asks about one model and prints JSON', async () => {
    handler = (url, _req, res) => {
      expect(url.searchParams.get('entityRef')).toBe(FRAUD);
      json(res, 200, { at: '2026-11-06T00:00:00.000Z', items: [production] });
    };
    const result = await runCli(
      [
        'audit',
        '--at',
        '2026-11-06',
        '--entity-ref',
        FRAUD,
        '--format',
        'json',
      ],
      { env: env() },
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      at: '2026-11-06T00:00:00.000Z',
      items: [production],
    });
  });

  it('says what Backstage refused, and never prints the token', async () => {
    handler = (_url, _req, res) =>
      json(res, 403, {
        error: {
          name: 'NotAllowedError',
          message: `You are not allowed to read the deployments of ${FRAUD}`,
        },
      });
    const denied = await runCli(
      ['audit', '--at', '2026-11-06T00:00:00Z', '--entity-ref', FRAUD],
      { env: env() },
    );
    expect(denied.exitCode).toBe(2);
    expect(denied.stderr).toBe(
      `ml-gitops audit: /api/ml-gitops/v1/audit/state answered 403: You are not allowed to read the deployments of ${FRAUD}\n`,
    );

    const badToken = await runCli(['audit', '--at', '2026-11-06T00:00:00Z'], {
      env: { BACKSTAGE_URL: baseUrl, AUDIT_TOKEN: 'wrong-token' },
    });
    expect(badToken.exitCode).toBe(2);
    expect(badToken.stderr).toContain(
      'the variable BACKSTAGE_TOKEN is not set',
    );
    const refused = await runCli(
      ['audit', '--at', '2026-11-06T00:00:00Z', '--token-env', 'AUDIT_TOKEN'],
      { env: { BACKSTAGE_URL: baseUrl, AUDIT_TOKEN: 'wrong-token' } },
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      'ml-gitops audit: Backstage refused the token (401: Illegal token); check the variable named by --token-env\n',
    );
    expect(refused.output).not.toContain('wrong-token');
  });

  it('refuses a time without a zone before asking anything', async () => {
    const result = await runCli(['audit', '--at', '2026-11-06T10:00:00'], {
      env: env(),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'ml-gitops audit: --at "2026-11-06T10:00:00" is not an ISO 8601 time with a zone; write e.g. 2026-11-28T10:00:00Z or 2026-11-28',
    );
    expect(requests).toHaveLength(0);
  });
});

describe('ml-gitops audit export', () => {
  const csvHeader =
    '\uFEFFtype,entity_ref,environment,at,kind,version,previous_version,commit,author\r\n';
  const csvRows = [
    `deployment,${FRAUD},production,2026-11-05T12:00:00.000Z,rollback,11,12,a1b2c3d,'=ada\r\n`,
    `drift,${FRAUD},staging,2026-11-05T13:00:00.000Z,,,,,\r\n`,
  ];

  it('writes the streamed CSV to a file as it arrives, byte for byte', async () => {
    handler = async (url, _req, res) => {
      expect(url.pathname).toBe('/api/ml-gitops/v1/audit/events');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        from: '2026-11-01T00:00:00Z',
        to: '2026-12-01T00:00:00Z',
        format: 'csv',
      });
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.write(csvHeader);
      for (const row of csvRows) {
        await new Promise(resolve => setTimeout(resolve, 5));
        res.write(row);
      }
      res.end();
    };
    const dir = tmpDir();
    const output = path.join(dir, 'audit.csv');
    const result = await runCli(
      [
        'audit',
        'export',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-12-01T00:00:00Z',
        '--output',
        output,
      ],
      { env: env() },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe(
      `ml-gitops audit export: CSV written to ${output}\n`,
    );
    expect(readFileSync(output, 'utf8')).toBe(csvHeader + csvRows.join(''));
  });

  it('writes every JSON page into one document', async () => {
    const event = (version: string): AuditEvent => ({
      type: 'deployment',
      entityRef: FRAUD,
      environment: 'dev',
      at: `2026-11-0${version}T00:00:00.000Z`,
      kind: 'deploy',
      version,
      commit: version.repeat(40),
      author: 'ada',
    });
    handler = (url, _req, res) => {
      expect(url.searchParams.get('format')).toBe('json');
      expect(url.searchParams.get('entityRef')).toBe(FRAUD);
      const cursor = url.searchParams.get('cursor');
      const base = {
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
      };
      if (!cursor) {
        json(res, 200, {
          ...base,
          items: [event('1'), event('2')],
          nextCursor: 'c2',
        });
      } else if (cursor === 'c2') {
        json(res, 200, { ...base, items: [], nextCursor: 'c3' });
      } else {
        json(res, 200, { ...base, items: [event('3')] });
      }
    };
    const result = await runCli(
      [
        'audit',
        'export',
        '--from',
        '2026-11-01',
        '--to',
        '2026-12-01',
        '--format',
        'json',
        '--entity-ref',
        FRAUD,
      ],
      { env: env() },
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      from: '2026-11-01',
      to: '2026-12-01',
      items: [event('1'), event('2'), event('3')],
    });
    expect(requests.map(r => r.searchParams.get('cursor'))).toEqual([
      null,
      'c2',
      'c3',
    ]);
  });

  it('refuses a range that ends before it starts, and --at', async () => {
    const backwards = await runCli(
      ['audit', 'export', '--from', '2026-12-01', '--to', '2026-11-01'],
      { env: env() },
    );
    expect(backwards.exitCode).toBe(2);
    expect(backwards.stderr).toContain(
      'ml-gitops audit export: --from must be before --to',
    );
    const at = await runCli(['audit', 'export', '--at', '2026-12-01'], {
      env: env(),
    });
    expect(at.stderr).toContain('audit export takes --from and --to, not --at');
    expect(requests).toHaveLength(0);
  });
});
