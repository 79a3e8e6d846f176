/** The body of every error the gateway sends: a stable code to branch on and a human message. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string } & Readonly<Record<string, unknown>>;
}

/**
 * An error with its HTTP status and a message safe to show a client. Thrown by the gateway's hooks
 * and handlers; the error handler turns it into `{ error: { code, message } }`. Anything else becomes
 * a generic 500 with no details (those go to the log).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers (`www-authenticate`, `retry-after`). */
  headers: Readonly<Record<string, string>> = {};
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** Details for the client (e.g. `problems` of a validation error), sent inside `error`. */
  details: Readonly<Record<string, unknown>> = {};

  /** This error with details sent inside `error` (next to `code` and `message`). */
  detail(details: Readonly<Record<string, unknown>>): this {
    this.details = { ...this.details, ...details };
    return this;
  }

  /** This error with extra response headers. */
  with(headers: Readonly<Record<string, string>>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }
}

/** Builds the typed error body. */
export function errorBody(
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
): ErrorBody {
  return { error: { ...details, code, message } };
}

/** The one 401: identical for a missing, malformed, unknown or wrong key, and an expired stream token. */
export const unauthorized = (): ApiError =>
  new ApiError(401, 'UNAUTHORIZED', 'missing or invalid credentials').with({ 'www-authenticate': 'Bearer' });

/** 404 for a resource that does not exist or that the key may not see (the two are indistinguishable). */
export const notFound = (what: string): ApiError => new ApiError(404, 'NOT_FOUND', `${what} not found`);
