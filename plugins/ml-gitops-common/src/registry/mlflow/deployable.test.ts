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
  modelVersionBlockers,
  modelVersionRejectionBlocker,
  REJECTION_TAGS,
  versionRejection,
} from './deployable';
import { MlflowModelVersion } from './types';

const version = (tags: Record<string, string>): MlflowModelVersion => ({
  name: 'fraud-detector',
  version: '12',
  status: 'READY',
  aliases: [],
  tags,
});

const REJECTED = {
  [REJECTION_TAGS.status]: 'rejected',
  [REJECTION_TAGS.reason]: 'p95 latency doubled',
  [REJECTION_TAGS.by]: 'user:default/alice',
  [REJECTION_TAGS.at]: '2026-12-06T07:00:00Z',
};

describe('versionRejection', () => {
  it('reads the reason, who and when of a rejected version', () => {
    expect(versionRejection(version(REJECTED))).toEqual({
      reason: 'p95 latency doubled',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
  });

  it('takes validation_status in any case, alone, and leaves out empty tags', () => {
    expect(
      versionRejection(
        version({ validation_status: ' Rejected ', [REJECTION_TAGS.by]: ' ' }),
      ),
    ).toEqual({});
  });

  it('is undefined for a version that is not rejected, whatever else is tagged', () => {
    expect(versionRejection(version({}))).toBeUndefined();
    expect(
      versionRejection(
        version({ ...REJECTED, [REJECTION_TAGS.status]: 'approved' }),
      ),
    ).toBeUndefined();
  });
});

describe('modelVersionRejectionBlocker', () => {
  it('quotes the reason, who and when, and how to un-reject', () => {
    expect(modelVersionRejectionBlocker(version(REJECTED))).toBe(
      'fraud-detector version 12 is rejected: "p95 latency doubled" (by user:default/alice, 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject (or delete its validation_status tag in the registry) before deploying it',
    );
    expect(modelVersionBlockers(version(REJECTED))).toEqual([
      modelVersionRejectionBlocker(version(REJECTED)),
    ]);
  });

  it('names the tag when a pipeline set it without a reason', () => {
    expect(
      modelVersionRejectionBlocker(version({ validation_status: 'REJECTED' })),
    ).toBe(
      'fraud-detector version 12 is tagged validation_status=REJECTED; un-reject it with ml-gitops:version:unreject (or delete its validation_status tag in the registry) before deploying it',
    );
  });

  it('is undefined for a deployable version', () => {
    expect(modelVersionRejectionBlocker(version({}))).toBeUndefined();
  });
});
