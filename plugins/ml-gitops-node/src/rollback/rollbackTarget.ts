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

// What the registry decides in a rollback: the version to go back to (never a rejected one) and where a version is stored.
import { InputError, isError } from '@backstage/errors';
import { RegistryAccess } from '../registries';
import { RollbackRefusedError, VersionChange } from './rollbackTypes';

export function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/**
 * The version a rollback goes back to: `toVersion` when given (refused when
 * it is the current one, never served here or is rejected in the registry),
 * otherwise the first of `candidates` the registry has not rejected.
 */
export async function chooseRollbackTarget(
  registry: RegistryAccess,
  options: {
    model: string;
    environment: string;
    current: string;
    changes: VersionChange[];
    candidates: string[];
    toVersion?: string;
    logger: { info(message: string): void; warn(message: string): void };
  },
): Promise<string> {
  const {
    model,
    environment,
    current,
    changes,
    candidates,
    toVersion,
    logger,
  } = options;
  const rejection = async (version: string) => {
    if (!registry.client) return undefined;
    try {
      const found = await registry.client.getVersion(model, version);
      return found?.rejection;
    } catch (error) {
      logger.warn(
        `Could not read ${model} version ${version} from the registry ${
          registry.name
        }: ${errorMessage(error)}`,
      );
      return undefined;
    }
  };

  let to: string | undefined;
  if (toVersion) {
    if (toVersion === current) {
      throw new InputError(
        `${environment} already declares ${model} version ${toVersion}; pick an earlier version to roll back to`,
      );
    }
    const served = changes.some(
      c => c.version === toVersion || c.previous === toVersion,
    );
    if (!served) {
      throw new InputError(
        `toVersion ${toVersion} never served in ${environment} (versions there: ${[
          ...new Set(changes.flatMap(c => [c.version, c.previous])),
        ]
          .filter(Boolean)
          .join(
            ', ',
          )}); a rollback goes back to a version that served, deploy others with ml-gitops:deploy`,
      );
    }
    const rejected = await rejection(toVersion);
    if (rejected) {
      throw new InputError(
        `${model} version ${toVersion} is rejected in the registry${
          rejected.reason ? `: "${rejected.reason}"` : ''
        }; pick another version, or un-reject it first with ml-gitops:version:unreject`,
      );
    }
    to = toVersion;
  } else {
    for (const candidate of candidates) {
      const rejected = await rejection(candidate);
      if (rejected) {
        logger.info(
          `Skipping version ${candidate}: rejected in the registry${
            rejected.reason ? ` ("${rejected.reason}")` : ''
          }`,
        );
        continue;
      }
      to = candidate;
      break;
    }
    if (!to) {
      throw new RollbackRefusedError(
        'no-candidate',
        `Every earlier version of ${model} that served in ${environment} is rejected or was rolled back from (${candidates.join(
          ', ',
        )}); un-reject one with ml-gitops:version:unreject or give toVersion`,
      );
    }
  }
  return to;
}

/**
 * Where KServe loads a version from (the manifest's `storage_uri`), from
 * the registry; refused when the registry cannot say or KServe could not
 * read it, as the cluster would otherwise serve other bytes than the
 * version named (`force` cannot override this). The rollback core and the
 * deploy and promote actions ask it alike.
 *
 * @public
 */
export async function resolveStorageLocation(
  registry: RegistryAccess,
  model: string,
  version: string,
): Promise<string> {
  const what = `where ${model} version ${version} is stored (storage_uri)`;
  const client = registry.client;
  if (!client) {
    throw new InputError(`Cannot find ${what}: ${registry.problem}`);
  }
  let artifact;
  try {
    artifact = await client.resolveServingArtifact(model, version);
  } catch (error) {
    throw new InputError(
      `Cannot find ${what}: the registry ${
        registry.name
      } could not be asked (${errorMessage(error)}); try again`,
    );
  }
  if (!artifact) {
    throw new InputError(
      `Cannot find ${what}: the registry ${registry.name} has no such version`,
    );
  }
  if (!artifact.ok) {
    throw new InputError(
      `Cannot set ${what}: ${artifact.problem}. ${artifact.fix}.`,
    );
  }
  return artifact.storageUri;
}
