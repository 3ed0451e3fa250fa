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

import { execFile } from 'node:child_process';
import path from 'node:path';

/** The real `ml-gitops` bin of this package. */
export const BIN = path.resolve(__dirname, '../../bin/ml-gitops');

/**
 * Runs the real bin in a child process, asynchronously (a server in this
 * process, such as the sandbox or a fake MLflow, must keep answering), with
 * only the given environment besides PATH.
 */
export function spawnBin(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env.PATH, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error
          ? Number((error as { code?: unknown }).code ?? 1)
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
