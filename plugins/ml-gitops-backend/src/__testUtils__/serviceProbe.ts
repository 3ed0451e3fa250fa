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

import {
  AuthService,
  coreServices,
  createBackendPlugin,
  DiscoveryService,
  RootConfigService,
} from '@backstage/backend-plugin-api';

/** The services a test backend gives the ml-gitops plugin. */
export type MlGitopsServices = {
  discovery: DiscoveryService;
  auth: AuthService;
  config: RootConfigService;
};

/**
 * A stand-in for the ml-gitops plugin that only takes its services, for
 * tests that build the plugin's parts by hand in a test backend; `services()`
 * answers once the backend started.
 */
export function mlGitopsServiceProbe() {
  let captured: MlGitopsServices | undefined;
  const feature = createBackendPlugin({
    pluginId: 'ml-gitops',
    register(env) {
      env.registerInit({
        deps: {
          discovery: coreServices.discovery,
          auth: coreServices.auth,
          config: coreServices.rootConfig,
          // taken as the real plugin takes it, to mount its routes
          httpRouter: coreServices.httpRouter,
        },
        async init({ discovery, auth, config }) {
          captured = { discovery, auth, config };
        },
      });
    },
  });
  return {
    feature,
    services(): MlGitopsServices {
      if (!captured) throw new Error('the test backend has not started');
      return captured;
    },
  };
}
