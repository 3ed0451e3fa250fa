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

import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import mlGitopsPlugin from '@ml-gitops/plugin-ml-gitops/alpha';
import { navModule } from './modules/nav';

// Features in packages/app/package.json are discovered (`app.packages: all`);
// the catalog is listed here so its landing-page override applies first, and
// ML GitOps so the app also has it where discovery does not run (tests).
export default createApp({
  features: [catalogPlugin, mlGitopsPlugin, navModule],
});
