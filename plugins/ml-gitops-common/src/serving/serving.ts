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

import type { ServingStatus } from '../api/types';

/** An object's message on one line, at most 300 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** `reason: message`, or the reason alone. */
function failureText(failure: NonNullable<ServingStatus['failure']>): string {
  return failure.message
    ? `${failure.reason}: ${oneLine(failure.message)}`
    : failure.reason;
}

/**
 * Why a serving object's version does not serve, in one sentence fragment
 * (used in drift reasons and on the cards), e.g. "the predictor fails:
 * ModelLoadFailed: …". Undefined when it serves.
 *
 * @public
 */
export function describeServing(serving: ServingStatus): string | undefined {
  const object = `InferenceService ${serving.namespace}/${serving.name}`;
  switch (serving.state) {
    case 'serving':
      return undefined;
    case 'failed':
      return `the predictor fails: ${
        serving.failure
          ? failureText(serving.failure)
          : serving.message ?? 'no reason given'
      }`;
    case 'not-ready':
      return `the ${object} is not ready: ${
        serving.failure
          ? failureText(serving.failure)
          : serving.message ?? 'no reason given'
      }`;
    case 'rolling-out':
      return `the declared version is not serving yet: ${
        serving.message ?? `the ${object} is rolling out`
      }`;
    default:
      return `the ${object} reports no status yet`;
  }
}

/**
 * The hint shown when the serving state rests on the Ready condition alone
 * (a KServe release without `status.modelStatus`); undefined otherwise.
 *
 * @public
 */
export function servingBasisHint(serving: ServingStatus): string | undefined {
  return serving.basis === 'ready-condition'
    ? 'This KServe reports no model status: judged by the Ready condition alone, without the model load state'
    : undefined;
}
