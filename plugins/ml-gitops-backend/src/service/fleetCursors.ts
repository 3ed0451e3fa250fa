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

import { InputError } from '@backstage/errors';
import crypto from 'node:crypto';
import type { MlGitopsStore } from '../database/MlGitopsStore';

const KEY_NAME = 'ml-gitops:fleet-cursor-key';

/**
 * Cursors of `GET /v1/fleet` that name no entity: the position (the last
 * entity of a page, which the caller may not be allowed to read) is
 * encrypted with AES-256-GCM under a key kept in the plugin's database, so
 * every replica reads the cursors of the others and a forged or altered
 * cursor is refused.
 */
export class FleetCursors {
  private key?: Promise<Buffer>;

  constructor(
    private readonly store: Pick<
      MlGitopsStore,
      'getCacheValue' | 'setCacheValue'
    >,
  ) {}

  private loadKey(): Promise<Buffer> {
    this.key ??= (async () => {
      let stored = await this.store.getCacheValue<string>(KEY_NAME);
      if (!stored) {
        await this.store.setCacheValue(
          KEY_NAME,
          crypto.randomBytes(32).toString('base64'),
        );
        // Read back: when two replicas start at once, both use the winner.
        stored = await this.store.getCacheValue<string>(KEY_NAME);
      }
      return Buffer.from(stored!, 'base64');
    })().catch(error => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  async encode(entityRef: string): Promise<string> {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv(
      'aes-256-gcm',
      await this.loadKey(),
      iv,
    );
    const sealed = Buffer.concat([
      cipher.update(entityRef, 'utf8'),
      cipher.final(),
    ]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString(
      'base64url',
    );
  }

  /**
   * Where a page of entities starts: after the entity its cursor names, or
   * at the first when there is no cursor.
   */
  async after(cursor: string | undefined): Promise<string | undefined> {
    return cursor ? this.decode(cursor) : undefined;
  }

  /**
   * `nextCursor` of a page's answer: the cursor of its last entity when more
   * follow, nothing on the last page.
   */
  async nextCursor(page: {
    entityRefs: string[];
    more: boolean;
  }): Promise<{ nextCursor?: string }> {
    return page.more
      ? {
          nextCursor: await this.encode(
            page.entityRefs[page.entityRefs.length - 1],
          ),
        }
      : {};
  }

  async decode(cursor: string): Promise<string> {
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length < 29 || raw.length > 1100) {
      throw new InputError(
        'cursor is not a cursor this API gave; start again without it',
      );
    }
    try {
      const decipher = crypto.createDecipheriv(
        'aes-256-gcm',
        await this.loadKey(),
        raw.subarray(0, 12),
      );
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([
        decipher.update(raw.subarray(28)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new InputError(
        'cursor is not a cursor this API gave; start again without it',
      );
    }
  }
}
