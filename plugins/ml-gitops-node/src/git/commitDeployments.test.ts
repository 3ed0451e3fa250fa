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

import { manifest } from '../testUtils';
import { acmeRepo } from './__testUtils__/location';
import { CommitDeployments } from './commitDeployments';
import type { ConfigRepoLocation } from './configRepoTypes';
import type { GitHostReader } from './GitHost';

const loc = acmeRepo;

/** A reader of files only, counting the reads: `<repo>@<sha>` → text. */
function filesReader(files: Record<string, string | null>) {
  const reads: string[] = [];
  const reader = {
    async getFile(at: ConfigRepoLocation, _path: string, sha: string) {
      reads.push(`${at.repo}@${sha}`);
      const text = files[`${at.repo}@${sha}`];
      if (text === undefined) throw new Error(`no ${at.repo}@${sha}`);
      return text;
    },
  } as Partial<GitHostReader> as GitHostReader;
  return { reader, reads };
}

describe('CommitDeployments.versionAt', () => {
  it('reads and parses a commit’s manifest once, however often it is asked', async () => {
    const { reader, reads } = filesReader({
      'a@1': manifest('4'),
      'a@2': 'model_version: [',
      'b@1': manifest('7'),
      'a@3': null,
    });
    const commits = new CommitDeployments(reader, ['dev']);
    for (let n = 0; n < 3; n++) {
      expect(await commits.versionAt(loc('a'), 'model.yaml', '1')).toEqual(
        expect.objectContaining({ version: '4' }),
      );
      // The same sha in another repo is another commit.
      expect(await commits.versionAt(loc('b'), 'model.yaml', '1')).toEqual(
        expect.objectContaining({ version: '7' }),
      );
      expect(await commits.versionAt(loc('a'), 'model.yaml', '2')).toEqual({
        version: null,
        problem: expect.stringContaining('model.yaml at 2 is invalid'),
      });
      expect(await commits.versionAt(loc('a'), 'model.yaml', '3')).toEqual({
        version: null,
        problem: 'model.yaml does not exist at 3',
      });
    }
    expect(reads).toEqual(['a@1', 'b@1', 'a@2', 'a@3']);
  });

  it('parses a manifest text once, whichever commits hold it', async () => {
    const { reader } = filesReader({
      'a@1': manifest('4'),
      'a@2': manifest('4'),
      'a@3': 'model_version: [',
      'a@4': 'model_version: [',
      'a@5': manifest('5'),
    });
    const commits = new CommitDeployments(reader, ['dev']);
    const first = await commits.versionAt(loc('a'), 'model.yaml', '1');
    const same = await commits.versionAt(loc('a'), 'model.yaml', '2');
    // The very answer of the first: not parsed again.
    expect(same).toBe(first);
    expect(same.version).toBe('4');
    // An invalid text says which commit holds it, each time.
    expect(
      (await commits.versionAt(loc('a'), 'model.yaml', '3')).problem,
    ).toContain('at 3 is invalid');
    expect(
      (await commits.versionAt(loc('a'), 'model.yaml', '4')).problem,
    ).toContain('at 4 is invalid');
    expect((await commits.versionAt(loc('a'), 'model.yaml', '5')).version).toBe(
      '5',
    );
  });

  it('asks again after a failed read', async () => {
    const { reader, reads } = filesReader({});
    const commits = new CommitDeployments(reader, ['dev']);
    await expect(
      commits.versionAt(loc('a'), 'model.yaml', '1'),
    ).rejects.toThrow('no a@1');
    await expect(
      commits.versionAt(loc('a'), 'model.yaml', '1'),
    ).rejects.toThrow('no a@1');
    expect(reads).toEqual(['a@1', 'a@1']);
  });

  it('keeps the newest 512 commits', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`a@${i}`] = manifest(String(i));
    const { reader, reads } = filesReader(files);
    const commits = new CommitDeployments(reader, ['dev']);
    for (let i = 0; i < 600; i++) {
      await commits.versionAt(loc('a'), 'model.yaml', String(i));
    }
    reads.length = 0;
    await commits.versionAt(loc('a'), 'model.yaml', '599');
    await commits.versionAt(loc('a'), 'model.yaml', '88');
    await commits.versionAt(loc('a'), 'model.yaml', '0');
    expect(reads).toEqual(['a@0']);
  });
});
