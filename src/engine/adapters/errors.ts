/**
 * Errors of adapter loading. Each message says what is wrong, where (file, tensor, field) and
 * what to do; the facts are also fields so the UI can show them without parsing the message.
 * Both survive a structured clone across the worker boundary as plain Errors (name + message).
 */

/** The bytes are not a well-formed .safetensors file (truncated, hostile or from another format). */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    /** Which part of the file is wrong: 'header', '__metadata__' or a tensor name. */
    readonly where: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A well-formed adapter that does not fit this model (other base model, other width, too high a
 * rank, unknown layer) or whose description JSON is invalid.
 */
export class AdapterError extends Error {
  override name = 'AdapterError';
  constructor(
    /** Adapter name (or file) the error is about. */
    readonly adapter: string,
    /** The tensor, metadata key or description field at fault, e.g. 'blocks.3.attn.q.lora_A.weight'. */
    readonly where: string,
    message: string,
  ) {
    super(message);
  }
}

/** A stage schedule (hand-set curve or exported StageBlender table) is invalid. */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
  constructor(
    /** Dotted path of the offending field, e.g. 'alpha[3][1]'. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
