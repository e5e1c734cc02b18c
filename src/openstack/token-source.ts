/**
 * Where a client gets the X-Auth-Token for its next request. A Keystone
 * session renews its token; a token given by the user (or a request context)
 * is used as is; a noauth Glance needs none.
 */
export interface TokenSource {
  /** The token to send, or null to send no X-Auth-Token (noauth deployments). */
  token(signal?: AbortSignal): Promise<string | null>;
  /**
   * Called after a 401 with the token that was refused: the next token() must
   * not return it. A token renewed meanwhile (another request got its 401
   * first) is kept, so parallel 401s cost one new token, not one each.
   * Returns true when a retry can help (a new token can be had).
   */
  invalidate(refused: string | null): boolean;
}

/** A fixed token (or none): `--os-token`, the request context's token, or noauth. */
export function staticToken(token: string | null): TokenSource {
  return {
    token: () => Promise.resolve(token),
    invalidate: () => false,
  };
}
