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

// The MLflow client's writes: model version tags, and rejecting or un-rejecting a version.

import { InputError } from '@backstage/errors';
import type { MlflowRejectionInput } from './MlflowClient';
import { REJECTION_TAGS, REJECTED_TAG } from './deployable';
import { MlflowRequests } from './requests';

/** What `MlflowClient.setModelVersionTag` does. */
export async function setModelVersionTag(
  requests: MlflowRequests,
  name: string,
  version: string,
  key: string,
  value: string,
): Promise<void> {
  await requests.write(
    'POST',
    'model-versions/set-tag',
    { name, version, key, value },
    { name, version },
  );
}

/** What `MlflowClient.deleteModelVersionTag` does. */
export async function deleteModelVersionTag(
  requests: MlflowRequests,
  name: string,
  version: string,
  key: string,
): Promise<void> {
  await requests.write(
    'DELETE',
    'model-versions/delete-tag',
    { name, version, key },
    { name, version },
    message => /\btag\b/i.test(message),
  );
}

/**
 * A rejection's reason, who and when, checked: an `InputError` for an empty
 * reason or who, or a time that is not ISO 8601. Shared by the registries.
 */
export function checkedRejection(
  name: string,
  version: string,
  rejection: MlflowRejectionInput,
): { reason: string; by: string; at: string } {
  const reason = rejection.reason?.trim();
  const by = rejection.by?.trim();
  const at = rejection.at ?? new Date().toISOString();
  if (!reason) {
    throw new InputError(
      `Rejecting ${name} version ${version} needs a reason: say why it must not be deployed again`,
    );
  }
  if (!by) {
    throw new InputError(
      `Rejecting ${name} version ${version} needs who rejects it, e.g. user:default/alice`,
    );
  }
  if (Number.isNaN(Date.parse(at)) || !/^\d{4}-\d\d-\d\dT/.test(at)) {
    throw new InputError(
      `Rejecting ${name} version ${version}: the time ${JSON.stringify(
        at,
      )} is not ISO 8601; use e.g. 2026-12-06T07:00:00Z`,
    );
  }
  return { reason, by, at };
}

/** What `MlflowClient.rejectModelVersion` does. */
export async function rejectModelVersion(
  requests: MlflowRequests,
  name: string,
  version: string,
  rejection: MlflowRejectionInput,
): Promise<void> {
  const { reason, by, at } = checkedRejection(name, version, rejection);
  await setModelVersionTag(
    requests,
    name,
    version,
    REJECTION_TAGS.reason,
    reason,
  );
  await setModelVersionTag(requests, name, version, REJECTION_TAGS.by, by);
  await setModelVersionTag(requests, name, version, REJECTION_TAGS.at, at);
  await setModelVersionTag(
    requests,
    name,
    version,
    REJECTION_TAGS.status,
    REJECTED_TAG.value,
  );
}

/** What `MlflowClient.unrejectModelVersion` does. */
export async function unrejectModelVersion(
  requests: MlflowRequests,
  name: string,
  version: string,
): Promise<void> {
  for (const key of [
    REJECTION_TAGS.status,
    REJECTION_TAGS.reason,
    REJECTION_TAGS.by,
    REJECTION_TAGS.at,
  ]) {
    await deleteModelVersionTag(requests, name, version, key);
  }
}
