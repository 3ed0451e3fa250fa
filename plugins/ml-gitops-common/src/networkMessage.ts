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

/**
 * What a failed request says, with the reason fetch (undici) gives in its
 * cause: "fetch failed" alone says nothing of a refused connection, a
 * reset or a name that does not resolve. The cause's code when it has one
 * (`ECONNREFUSED`), else its message (`SocketError: other side closed`).
 *
 * @public
 */
export function networkMessage(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { message?: unknown; code?: unknown } })
    ?.cause;
  let detail: string | undefined;
  if (typeof cause?.code === 'string') detail = cause.code;
  else if (typeof cause?.message === 'string') detail = cause.message;
  return detail ? `${message} (${detail})` : message;
}
