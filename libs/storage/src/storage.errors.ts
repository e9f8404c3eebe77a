/** No object is stored under the key (or the key names a prefix of other objects on the fs driver). */
export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** A key or prefix that could escape the store or that one of the drivers cannot hold. */
export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidObjectKeyError';
  }
}

/** The requested byte range starts beyond the end of the object (HTTP 416). */
export class InvalidRangeError extends Error {
  constructor(
    readonly key: string,
    readonly start: number,
  ) {
    super(`range starting at byte ${start} is not satisfiable for ${key}`);
    this.name = 'InvalidRangeError';
  }
}

/** The body's length differs from the size the caller declared; nothing was stored. */
export class ObjectSizeMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`object ${key} was declared as ${expected} bytes but the body had ${actual}`);
    this.name = 'ObjectSizeMismatchError';
  }
}
