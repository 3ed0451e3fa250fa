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

/*
 * The benchmark's side of the emulators' IPC protocol (see emulators.ts):
 * waits for `ready`, then pairs each request with its reply by id.
 */

import type { ChildProcess } from 'node:child_process';
import { SANDBOX_CREDENTIALS } from 'sandbox';
import type { EmulatorReply, EmulatorRequest } from './emulators';

export type EmulatorUrls = {
  git: string;
  gitApi: string;
  mlflow: string;
  argocd: Record<string, string>;
  kubernetes: Record<string, string>;
};

/** `name` says which process exited early, in the error. */
export async function emulatorClient(child: ChildProcess, name: string) {
  const pending = new Map<number, (reply: EmulatorReply) => void>();
  let nextId = 1;
  const urls = await new Promise<EmulatorUrls>((resolve, reject) => {
    child.once('exit', code =>
      reject(new Error(`${name} exited with code ${code}`)),
    );
    child.on('message', (message: any) => {
      if (message?.type === 'ready') {
        resolve(message.urls);
      } else if (typeof message?.id === 'number') {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  const ask = (
    request: Omit<EmulatorRequest, 'id'> & Partial<EmulatorRequest>,
  ): Promise<EmulatorReply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, reply =>
        reply.error ? reject(new Error(reply.error)) : resolve(reply),
      );
      child.send({ ...request, id });
    });
  return { urls, ask };
}

/** The emulators' Argo CD instances and MLflow registry, as mlGitops config. */
export function emulatorSourcesConfig(
  urls: EmulatorUrls,
  environments: readonly string[],
) {
  return {
    argocd: {
      instances: environments.map(env => ({
        name: `argocd-${env}`,
        url: urls.argocd[env],
        token: SANDBOX_CREDENTIALS.argocd.token,
      })),
    },
    registries: [{ name: 'mlflow-default', type: 'mlflow', url: urls.mlflow }],
  };
}

/** The emulators' Kubernetes clusters, one per environment, as config. */
export function emulatorClusters(
  urls: EmulatorUrls,
  environments: readonly string[],
) {
  return environments.map(env => ({
    name: env,
    url: urls.kubernetes[env],
    authProvider: 'serviceAccount',
    serviceAccountToken: SANDBOX_CREDENTIALS.kubernetes.token,
  }));
}
