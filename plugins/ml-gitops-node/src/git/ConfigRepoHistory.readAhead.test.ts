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

import { acmeRepo } from './__testUtils__/location';
import { ConfigRepoHistory } from './ConfigRepoHistory';
import type { CommitAndFileAt, GitHostReader } from './GitHost';
import type {
  DeclarationMemory,
  EnvironmentDeclaration,
} from './historyDeclarations';

const loc = acmeRepo;

const declared = (environment: string, head: string) =>
  ({ environment, head } as EnvironmentDeclaration);

/** A reader that only reads ahead, recording what it was asked. */
function prefetchingReader() {
  const asked: CommitAndFileAt[][] = [];
  const reader = {
    async prefetchCommitsAndFiles(items: CommitAndFileAt[]) {
      asked.push(items);
    },
  } as Partial<GitHostReader> as GitHostReader;
  return { reader, asked };
}

describe('ConfigRepoHistory.readAhead', () => {
  const repos = [
    {
      loc: loc('a'),
      manifestPath: 'model.yaml',
      heads: { dev: 'a1', prod: 'a2' },
    },
    {
      loc: loc('b'),
      manifestPath: 'model.yaml',
      heads: { dev: 'b1', prod: 'b2' },
    },
  ];
  const remembered = new Map<string, EnvironmentDeclaration>([
    ['git:declaration:github.com/acme/a:model.yaml:dev', declared('dev', 'a1')],
    [
      'git:declaration:github.com/acme/b:model.yaml:prod',
      declared('prod', 'old'),
    ],
  ]);

  it('asks the memory for the whole batch in one read where it can', async () => {
    const { reader, asked } = prefetchingReader();
    const calls: string[][] = [];
    const memory: DeclarationMemory = {
      get: jest.fn(),
      set: jest.fn(),
      getMany: async keys => {
        calls.push(keys);
        return new Map([...remembered].filter(([k]) => keys.includes(k)));
      },
    };
    await new ConfigRepoHistory(reader, memory, {
      environments: ['dev', 'prod'],
      firstPage: 50,
    }).readAhead(repos);
    expect(calls).toEqual([
      [
        'git:declaration:github.com/acme/a:model.yaml:dev',
        'git:declaration:github.com/acme/a:model.yaml:prod',
        'git:declaration:github.com/acme/b:model.yaml:dev',
        'git:declaration:github.com/acme/b:model.yaml:prod',
      ],
    ]);
    expect(memory.get).not.toHaveBeenCalled();
    // Only the branches whose head moved or that were never read.
    expect(asked).toEqual([
      [
        { loc: loc('a'), sha: 'a2', path: 'model.yaml' },
        { loc: loc('b'), sha: 'b1', path: 'model.yaml' },
        { loc: loc('b'), sha: 'b2', path: 'model.yaml' },
      ],
    ]);
  });

  it('asks key by key when the memory has no batch read, and the same branches result', async () => {
    const { reader, asked } = prefetchingReader();
    const memory: DeclarationMemory = {
      get: jest.fn(async (key: string) => remembered.get(key)),
      set: jest.fn(),
    };
    await new ConfigRepoHistory(reader, memory, {
      environments: ['dev', 'prod'],
      firstPage: 50,
    }).readAhead(repos);
    expect(memory.get).toHaveBeenCalledTimes(4);
    expect(asked[0].map(i => i.sha)).toEqual(['a2', 'b1', 'b2']);
  });

  it('reads everything ahead when the memory cannot be read', async () => {
    const { reader, asked } = prefetchingReader();
    const memory: DeclarationMemory = {
      get: jest.fn(),
      set: jest.fn(),
      getMany: async () => {
        throw new Error('database down');
      },
    };
    await new ConfigRepoHistory(reader, memory, {
      environments: ['dev', 'prod'],
      firstPage: 50,
    }).readAhead(repos);
    expect(asked[0].map(i => i.sha)).toEqual(['a1', 'a2', 'b1', 'b2']);
  });
});
