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

/** A failure of one source, remembered with the time it started. */
export type Failure = { message: string; since: string };

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The outside systems failing now (`argocd:main`, `cluster:prod`,
 * `git:<repo>`, `registry:mlflow`), each with when its failure began.
 */
export class SourceFailures {
  private readonly failures = new Map<string, Failure>();

  constructor(private readonly now: () => Date) {}

  /** Records a failure; keeps the time of the first one until it recovers. */
  fail(name: string, error: unknown): Failure {
    const message = errorMessage(error);
    const existing = this.failures.get(name);
    const failure = {
      message,
      since: existing?.since ?? this.now().toISOString(),
    };
    this.failures.set(name, failure);
    return failure;
  }

  recover(name: string) {
    this.failures.delete(name);
  }

  get(name: string): Failure | undefined {
    return this.failures.get(name);
  }
}
