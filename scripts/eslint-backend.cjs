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

// What the ESLint configs of the packages that run in the backend add to
// Backstage's: AsyncLocalStorage (node:async_hooks) turns on promise hooks
// for the whole backend process on Node 22, and every promise of every
// plugin then costs about three times as much; work passes what it needs
// along with it instead (docs/performance.md, "a tax on every promise").

const message =
  'AsyncLocalStorage turns on promise hooks for the whole backend on Node 22; pass the context explicitly';

module.exports = {
  restrictedSrcImports: [
    { name: 'node:async_hooks', message },
    { name: 'async_hooks', message },
  ],
};
