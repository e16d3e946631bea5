/**
 * Exit codes are the Job's only interface to the operator besides its logs, so each failure class
 * has its own number (documented in the README). Keep them stable.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badConfig: 2,
  permissionDenied: 3,
  csrDenied: 4,
  signerTimeout: 5,
  apiUnavailable: 6,
  refusedToApprove: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message is one operator-readable line, never a stack trace. */
export class IssuerError extends Error {
  public constructor(
    public readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'IssuerError';
  }
}

/** A missing or invalid setting; the message names the flag so the operator can fix it. */
export class ConfigError extends IssuerError {
  public constructor(message: string) {
    super(ExitCode.badConfig, message);
    this.name = 'ConfigError';
  }
}
