import { ExitCode } from '../../src/contract/issuer-api.ts';

export { ExitCode };

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

/** A CSR the API server refused at creation (its validation, or an admission policy), not one an approver denied. */
export class CsrRefusedError extends IssuerError {
  public constructor(message: string) {
    super(ExitCode.csrDenied, message);
    this.name = 'CsrRefusedError';
  }
}

/** A missing or invalid setting; the message names the flag so the operator can fix it. */
export class ConfigError extends IssuerError {
  public constructor(message: string) {
    super(ExitCode.badConfig, message);
    this.name = 'ConfigError';
  }
}
