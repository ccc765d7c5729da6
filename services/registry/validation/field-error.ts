// An input value that breaks a rule; the API maps it to INVALID_ARGUMENT with the field named.
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FieldError';
  }
}
