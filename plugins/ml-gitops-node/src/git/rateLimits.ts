/**
 * When GitHub refused a request for its rate limit, until when and which
 * limit: the primary limit (`x-ratelimit-remaining: 0`, reset at
 * `x-ratelimit-reset`) or a secondary one (403 or 429 with `retry-after`,
 * or a message saying so), as docs.github.com "Rate limits for the REST
 * API" describes them.
 */
export function rateLimitedUntil(
  response: Response,
  message = '',
  now: number = Date.now(),
): { kind: 'primary' | 'secondary'; until: string } | undefined {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const retryAfter = Number(response.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return {
      kind: 'secondary',
      until: new Date(now + retryAfter * 1000).toISOString(),
    };
  }
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  if (response.headers.get('x-ratelimit-remaining') === '0') {
    return {
      kind: 'primary',
      until: Number.isFinite(reset)
        ? new Date(reset * 1000).toISOString()
        : 'its reset',
    };
  }
  if (/secondary rate limit/i.test(message)) {
    return {
      kind: 'secondary',
      until: new Date(now + 60_000).toISOString(),
    };
  }
  return undefined;
}
