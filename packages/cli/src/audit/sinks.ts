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

// Where an audit command's answer goes: standard output or a file.

import { createWriteStream, WriteStream } from 'node:fs';
import type { CliIo } from '../main';

/** Where a command's answer goes: standard output or a file. */
export type Sink = {
  write(text: string): Promise<void>;
  close(): Promise<void>;
};

/** Writes to the command's standard output. */
export function stdoutSink(io: CliIo): Sink {
  return {
    async write(text) {
      io.stdout(text);
    },
    async close() {},
  };
}

/** Writes to a file, created or truncated; rejects when it cannot be opened. */
export async function fileSink(path: string): Promise<Sink> {
  const stream: WriteStream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  let failure: Error | undefined;
  stream.on('error', error => {
    failure = error;
  });
  return {
    async write(text) {
      if (failure) throw failure;
      if (!stream.write(text)) {
        await new Promise(resolve => stream.once('drain', resolve));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) =>
          error || failure ? reject(error ?? failure) : resolve(),
        ),
      ),
  };
}
