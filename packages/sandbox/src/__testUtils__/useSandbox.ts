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

import { Sandbox, SandboxOptions, startSandbox } from '../sandbox';

/**
 * A sandbox for the tests of one file (or describe block): started before
 * them on free ports without logs, stopped after them. Returns a getter,
 * since the sandbox exists only once `beforeAll` ran.
 */
export function useSandbox(options: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      log: () => {},
      ...options,
    });
  });
  afterAll(() => sandbox?.stop());
  return () => {
    if (!sandbox) throw new Error('the sandbox is started in beforeAll');
    return sandbox;
  };
}
