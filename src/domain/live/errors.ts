/** The connection a message was meant for no longer exists (API Gateway answers 410 Gone). */
export class ConnectionGoneError extends Error {
  override readonly name = 'ConnectionGoneError';
  constructor(
    readonly connectionId: string,
    options?: { cause?: unknown },
  ) {
    super(`Connection ${connectionId} is gone`, options);
  }
}
