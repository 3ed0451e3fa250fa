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

import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

/** Why a repository file cannot be read. */
export type ReadFailure = {
  /** `missing` and `unsafe` are the repo's fault; `io` is the machine's. */
  kind: 'missing' | 'unsafe' | 'too-large' | 'io';
  message: string;
  fix: string;
};

/** A repository path resolved safely inside the repository root. */
export type RepoPath = {
  /** The path relative to the root, with forward slashes. */
  relative: string;
  absolute: string;
};

/**
 * Resolves a path given relative to the repository root, refusing absolute
 * paths and paths that leave the root (`../`).
 */
export function resolveInRepo(
  root: string,
  given: string,
): RepoPath | ReadFailure {
  const normalized = given.replace(/\\/g, '/');
  if (normalized === '' || normalized.includes('\0')) {
    return {
      kind: 'unsafe',
      message: `invalid path ${JSON.stringify(given)}`,
      fix: 'Give a path relative to the repository root, e.g. deploy/model.yaml',
    };
  }
  if (path.isAbsolute(given) || path.posix.isAbsolute(normalized)) {
    return {
      kind: 'unsafe',
      message: `${given} is an absolute path; manifests must be inside the repository`,
      fix: 'Give a path relative to the repository root, e.g. deploy/model.yaml',
    };
  }
  const absolute = path.resolve(root, normalized);
  const relative = path.relative(root, absolute);
  if (relative === '') {
    return {
      kind: 'unsafe',
      message: `${given} names the repository root, not a file`,
      fix: 'Give the path of the manifest file, e.g. deploy/model.yaml',
    };
  }
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return {
      kind: 'unsafe',
      message: `${given} points outside the repository`,
      fix: 'Keep manifests inside the repository; remove "../" from the path',
    };
  }
  return { relative: relative.split(path.sep).join('/'), absolute };
}

/**
 * Reads at most `maxBytes + 1` bytes of a regular file inside the root.
 * Refuses symlinks (the file or any directory above it), directories, FIFOs
 * and devices, so a pull request cannot make the check read outside the
 * repository or hang.
 */
export async function readRepoFile(
  root: string,
  file: RepoPath,
  maxBytes: number,
): Promise<{ bytes: Uint8Array } | ReadFailure> {
  let real: string;
  try {
    real = await fs.realpath(file.absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A dangling symlink is unsafe, not missing.
      const link = await fs.lstat(file.absolute).catch(() => undefined);
      if (link?.isSymbolicLink()) {
        return unsafeSymlink(file);
      }
      return {
        kind: 'missing',
        message: `${file.relative} does not exist`,
        fix: `Create ${file.relative}; every environment branch keeps the same layout`,
      };
    }
    if (code === 'ELOOP') return unsafeSymlink(file);
    return ioFailure(file, error);
  }
  if (real !== path.join(await fs.realpath(root), file.relative)) {
    return unsafeSymlink(file);
  }
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(
      real,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
    const stat = await handle.stat();
    if (!stat.isFile()) {
      return {
        kind: 'unsafe',
        message: `${file.relative} is not a regular file (it is a ${
          stat.isDirectory() ? 'directory' : 'special file'
        })`,
        fix: `Make ${file.relative} a plain YAML file`,
      };
    }
    if (stat.size > maxBytes) {
      return {
        kind: 'too-large',
        message: `${file.relative} is ${stat.size} bytes, more than the limit of ${maxBytes}`,
        fix: 'A model manifest is a few hundred bytes: remove what does not belong in it',
      };
    }
    // Sized by the file (plus one byte, to notice a file that grew past the
    // limit since stat), not by the limit: most files are far smaller.
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(
        buffer,
        length,
        buffer.length - length,
        length,
      );
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, length) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') return unsafeSymlink(file);
    if (code === 'EISDIR') {
      return {
        kind: 'unsafe',
        message: `${file.relative} is a directory, not a file`,
        fix: `Make ${file.relative} a plain YAML file`,
      };
    }
    return ioFailure(file, error);
  } finally {
    await handle?.close();
  }
}

function unsafeSymlink(file: RepoPath): ReadFailure {
  return {
    kind: 'unsafe',
    message: `${file.relative} is a symbolic link or is reached through one`,
    fix: `Commit ${file.relative} as a regular file; symlinks can point outside the repository`,
  };
}

function ioFailure(file: RepoPath, error: unknown): ReadFailure {
  const code = (error as NodeJS.ErrnoException)?.code;
  return {
    kind: 'io',
    message: `cannot read ${file.relative}${code ? ` (${code})` : ''}`,
    fix: 'Check the file permissions of the checkout',
  };
}

export function isReadFailure(value: unknown): value is ReadFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    'fix' in value
  );
}
