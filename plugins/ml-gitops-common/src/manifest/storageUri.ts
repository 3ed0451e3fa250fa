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
 * Where KServe's storage initializer can fetch a model from. The schemes are
 * those of kserve/kserve python/storage/kserve_storage/kserve_storage.py
 * (Storage.download_files: gs://, s3://, hdfs:// and webhdfs://, pvc:// as a
 * mounted claim, and https:// for plain downloads and Azure Blob Storage
 * https://<account>.blob.core.windows.net/<container>/<path>). Plain http://
 * is refused on purpose: the model would travel unencrypted.
 */

/**
 * The URI schemes a `storage_uri` may use (KServe's storage initializer).
 *
 * @public
 */
export const KSERVE_STORAGE_SCHEMES = [
  's3',
  'gs',
  'https',
  'pvc',
  'hdfs',
  'webhdfs',
] as const;

/** At most this many characters: a URI longer than this is not a model path. @public */
export const MAX_STORAGE_URI_LENGTH = 2048;

/**
 * What is wrong with `uri` as KServe's `storageUri`, or undefined when it is
 * fine: a known scheme, a location after it, no credentials, no whitespace
 * or control characters.
 *
 * @public
 */
export function kserveStorageUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_STORAGE_URI_LENGTH) {
    return `is longer than ${MAX_STORAGE_URI_LENGTH} characters`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) {
    return 'must not contain spaces or control characters';
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (
    !scheme ||
    !(KSERVE_STORAGE_SCHEMES as readonly string[]).includes(scheme)
  ) {
    return `must start with a scheme KServe's storage initializer reads: ${KSERVE_STORAGE_SCHEMES.map(
      s => `${s}://`,
    ).join(', ')}`;
  }
  const rest = uri.slice(scheme.length + 1);
  if (!rest.startsWith('//') || rest.length <= 2 || rest[2] === '/') {
    return `must name a location after ${scheme}://, e.g. ${scheme}://bucket/path`;
  }
  const authority = rest.slice(2).split('/')[0];
  if (authority.includes('@')) {
    return 'must not carry credentials (user@ or user:password@); KServe reads them from a secret of its service account';
  }
  return undefined;
}
