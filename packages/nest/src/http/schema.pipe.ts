import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { PipeTransform } from '@nestjs/common';

/** The part of the Standard Schema interface (zod 4, valibot, arktype …) this pipe uses. */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

/** What a schema's validation produces (e.g. numbers from a query's coerced strings). */
export type SchemaOutput<S> = S extends StandardSchema<infer Output> ? Output : never;

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
      }>;
    };

/**
 * Validates a body, query or param with a contract schema through Standard Schema's
 * `validate()`, so it runs the same on Nest 11 and 12; a failure is INVALID_INPUT (400)
 * naming every field.
 */
export class SchemaPipe<Output> implements PipeTransform<unknown, Promise<Output>> {
  constructor(
    private readonly schema: StandardSchema<Output>,
    private readonly what: string,
  ) {}

  async transform(value: unknown): Promise<Output> {
    const result = await this.schema['~standard'].validate(value);
    if (!result.issues) return result.value;
    const problems = result.issues.map((issue) => {
      const path = (issue.path ?? [])
        .map((part) => String(typeof part === 'object' ? part.key : part))
        .join('.');
      return { path, message: issue.message };
    });
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      `Invalid ${this.what}: ${problems.map((p) => `${p.path || this.what}: ${p.message}`).join('; ')}`,
      { details: { fields: problems.map((p) => p.path), issues: problems } },
    );
  }
}
