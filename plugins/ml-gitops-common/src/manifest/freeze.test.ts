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

import { activeFreeze, describeFreeze } from './freeze';
import { parseModelManifest } from './parse';
import { ModelManifest } from './schema';

const manifest = (freeze?: ModelManifest['freeze']): ModelManifest => ({
  model_name: 'fraud-detector',
  model_version: '12',
  serving: { runtime: 'kserve', replicas: 2 },
  ...(freeze ? { freeze } : {}),
});

const NOW = new Date('2026-12-06T07:00:00Z');

describe('activeFreeze', () => {
  it('is undefined without a freeze', () => {
    expect(activeFreeze(manifest(), NOW)).toBeUndefined();
  });

  it('holds without until', () => {
    expect(activeFreeze(manifest({ reason: 'incident 4711' }), NOW)).toEqual({
      reason: 'incident 4711',
    });
  });

  it('holds until the until time, not at or after it', () => {
    const freeze = { reason: 'r', until: '2026-12-06T08:00:00+01:00' };
    expect(
      activeFreeze(manifest(freeze), new Date('2026-12-06T06:59:59.999Z')),
    ).toEqual(freeze);
    expect(activeFreeze(manifest(freeze), NOW)).toBeUndefined();
    expect(
      activeFreeze(
        manifest({ reason: 'r', until: '2026-12-01T00:00:00Z' }),
        NOW,
      ),
    ).toBeUndefined();
  });

  it('takes the current time by default', () => {
    expect(
      activeFreeze(manifest({ reason: 'r', until: '2000-01-01T00:00:00Z' })),
    ).toBeUndefined();
    expect(
      activeFreeze(manifest({ reason: 'r', until: '2999-01-01T00:00:00Z' })),
    ).toBeDefined();
  });
});

describe('describeFreeze', () => {
  it('names the end and quotes the reason', () => {
    expect(
      describeFreeze({
        reason: 'incident 4711',
        until: '2026-12-24T00:00:00Z',
      }),
    ).toBe('frozen until 2026-12-24T00:00:00Z: "incident 4711"');
    expect(describeFreeze({ reason: 'r' })).toBe(
      'frozen until a pull request removes it: "r"',
    );
  });
});

describe('freeze: in deploy/model.yaml', () => {
  const BASE =
    'model_name: a\nmodel_version: "1"\nserving: { runtime: kserve, replicas: 1 }\n';
  const problems = (freeze: string) => {
    const parsed = parseModelManifest(`${BASE}${freeze}`);
    return parsed.ok
      ? []
      : parsed.problems.map(p => `${p.line}:${p.message} | ${p.fix}`);
  };

  it('reads a freeze with an unquoted time as a string', () => {
    const parsed = parseModelManifest(
      `${BASE}freeze:\n  reason: incident 4711\n  until: 2026-12-24T00:00:00Z\n`,
    );
    expect(parsed.ok && parsed.manifest.freeze).toEqual({
      reason: 'incident 4711',
      until: '2026-12-24T00:00:00Z',
    });
  });

  it.each([
    [
      'freeze:\n  reason: r\n  until: 2026-12-24\n',
      '6:freeze.until must be an ISO 8601 time such as 2026-12-24T00:00:00Z | Write e.g. until: "2026-12-24T00:00:00Z"',
    ],
    [
      'freeze:\n  reason: r\n  until: "2026-13-01T00:00:00Z"\n',
      '6:freeze.until must be an ISO 8601 time such as 2026-12-24T00:00:00Z | Write e.g. until: "2026-12-24T00:00:00Z"',
    ],
    [
      'freeze:\n  reason: r\n  until: "next friday"\n',
      '6:freeze.until must be an ISO 8601 time such as 2026-12-24T00:00:00Z | Write e.g. until: "2026-12-24T00:00:00Z"',
    ],
    [
      'freeze:\n  reason: ""\n',
      '5:freeze.reason must not be empty | Say why, e.g. reason: "incident 4711"',
    ],
    [
      'freeze:\n  reason: "two\\nlines"\n',
      '5:freeze.reason must be one line | Write it on one line; link the incident or ticket for the details',
    ],
    [
      `freeze:\n  reason: ${'x'.repeat(501)}\n`,
      '5:freeze.reason must be at most 500 characters | Shorten it; link the incident or ticket for the details',
    ],
    [
      'freeze:\n  until: "2026-12-24T00:00:00Z"\n',
      '5:freeze.reason is missing | Add reason: "incident 4711"',
    ],
    [
      'freeze:\n  reason: r\n  by: alice\n',
      '6:unknown key "by" in freeze | Remove it; allowed keys in freeze are: reason, until',
    ],
    [
      'freeze: true\n',
      '4:freeze must be a mapping, not the boolean true | Write e.g. freeze: { reason: "incident 4711", until: "2026-12-24T00:00:00Z" }',
    ],
  ])('refuses %j with a fix', (freeze, problem) => {
    expect(problems(freeze)).toEqual([problem]);
  });
});
