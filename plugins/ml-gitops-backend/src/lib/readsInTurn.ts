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

/**
 * Reads by key that are asked for in the same turn of the event loop, made
 * as one read of all their keys (at most `maxKeys` a read) when the turn
 * ends: the models a cycle polls side by side each ask the database for
 * their own rows, and one statement for all of them costs about what one
 * for each costs apiece. A key the read does not answer is undefined; a
 * failed read fails every ask it carried.
 */
export class ReadsInTurn<V> {
  private asked: Array<{
    key: string;
    resolve: (value: V | undefined) => void;
    reject: (error: unknown) => void;
  }> = [];

  constructor(
    private readonly readMany: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxKeys = 100,
  ) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      if (this.asked.length === 0) setImmediate(() => this.flush());
      this.asked.push({ key, resolve, reject });
    });
  }

  private flush() {
    const asked = this.asked;
    this.asked = [];
    const keys = [...new Set(asked.map(a => a.key))];
    for (let i = 0; i < keys.length; i += this.maxKeys) {
      const part = new Set(keys.slice(i, i + this.maxKeys));
      const waiting = asked.filter(a => part.has(a.key));
      Promise.resolve()
        .then(() => this.readMany([...part]))
        .then(
          found => {
            for (const a of waiting) a.resolve(found.get(a.key));
          },
          error => {
            for (const a of waiting) a.reject(error);
          },
        );
    }
  }
}
