/**
 * A Keystone v3 session: gets a token (password or token method), keeps it
 * until shortly before it expires, and hands out the service catalog. It is
 * the {@link TokenSource} of clients that authenticate through Keystone.
 */
import { BridgeError, isBridgeError } from '../errors/bridge-error.js';
import type { KeystoneMethod, KeystoneScope } from './credentials.js';
import type { HttpClient } from './http-client.js';
import { authRequestBody, parseIssuedToken, tokensUrl, type IssuedToken } from './keystone-auth-request.js';
import type { ServiceCatalog } from './service-catalog.js';
import type { TokenSource } from './token-source.js';
import { SharedFlights } from '../util/shared-flights.js';

/** Options of {@link KeystoneSession}. */
export interface KeystoneSessionOptions {
  readonly http: HttpClient;
  readonly authUrl: string;
  readonly method: KeystoneMethod;
  readonly scope: KeystoneScope;
  readonly stallTimeoutMs: number;
  /** Renew this long before expiry (ms). Default 5 minutes. */
  readonly renewBeforeMs?: number;
  readonly now?: () => number;
}

export class KeystoneSession implements TokenSource {
  private current: IssuedToken | null = null;
  private readonly logins = new SharedFlights<'login', IssuedToken>();
  private readonly url: string;

  constructor(private readonly options: KeystoneSessionOptions) {
    this.url = tokensUrl(options.authUrl);
  }

  /** The current token, authenticating when there is none or it is about to expire. */
  async issued(signal?: AbortSignal): Promise<IssuedToken> {
    const now = (this.options.now ?? Date.now)();
    const renewBefore = this.options.renewBeforeMs ?? 300_000;
    const cur = this.current;
    if (cur !== null && (cur.expiresAt === null || cur.expiresAt - renewBefore > now)) return cur;
    // Concurrent callers share one authentication request; one caller giving up does not cancel it for the others.
    this.current = await this.logins.run('login', (shared) => this.authenticate(shared), signal, `authenticate with Keystone at ${this.url}`);
    return this.current;
  }

  async token(signal?: AbortSignal): Promise<string> {
    return (await this.issued(signal)).token;
  }

  async catalog(signal?: AbortSignal): Promise<ServiceCatalog> {
    return (await this.issued(signal)).catalog;
  }

  invalidate(refused: string | null): boolean {
    if (this.current !== null && this.current.token === refused) this.current = null;
    // A token given by the user cannot become fresh by asking again with itself.
    return this.options.method.kind === 'password';
  }

  private async authenticate(signal?: AbortSignal): Promise<IssuedToken> {
    const who = this.options.method.kind === 'password' ? 'password' : 'token';
    try {
      const res = await this.options.http.request({
        method: 'POST',
        url: this.url,
        body: { kind: 'json', value: authRequestBody(this.options.method, this.options.scope) },
        response: 'json',
        operation: `authenticate with Keystone (${who}) at ${this.url}`,
        service: 'keystone',
        stallTimeoutMs: this.options.stallTimeoutMs,
        ...(signal === undefined ? {} : { signal }),
      });
      return parseIssuedToken(res.headers, res.json);
    } catch (err) {
      if (isBridgeError(err, 'ERR_UNAUTHORIZED')) {
        throw new BridgeError('ERR_UNAUTHORIZED', `${err.message} (check the user, password/token, domain and project)`, { cause: err, details: err.details });
      }
      throw err;
    }
  }
}
