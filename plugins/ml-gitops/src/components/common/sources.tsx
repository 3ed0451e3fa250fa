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
