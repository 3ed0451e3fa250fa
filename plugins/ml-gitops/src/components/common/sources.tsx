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

import { Link } from '@backstage/core-components';
import type { LiveState } from '@ml-gitops/plugin-ml-gitops-common';

/**
 * A link to the operator's UI for this object, when the backend sends one.
 * `url` is not in the contract yet (proposed); read it only when present.
 */
export function getLiveUrl(live: LiveState): string | undefined {
  const candidate: unknown = (live as LiveState & { url?: unknown }).url;
  return typeof candidate === 'string' && /^https?:\/\//.test(candidate)
    ? candidate
    : undefined;
}

/** "Argo CD Application fraud-detector-production on instance main". */
export function describeLiveObject(live: LiveState): string {
  return live.source === 'argocd'
    ? `Argo CD Application ${live.application} on instance ${live.instance}`
    : `Flux object ${live.application} on cluster ${live.instance}`;
}

/** The operator's object, linked when its URL is known. */
export function LiveObject(props: { live: LiveState }) {
  const { live } = props;
  const text = describeLiveObject(live);
  const url = getLiveUrl(live);
  return url ? <Link to={url}>{text}</Link> : <>{text}</>;
}
