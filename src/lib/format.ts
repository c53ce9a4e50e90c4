// Small shared conversions for API responses and path parameters.

/** A timestamp as the API shows it (ISO 8601), or null. */
export const iso = (d: Date | null | undefined): string | null => d?.toISOString() ?? null;

/** Whether a path parameter can be a row id; anything else is answered 404 without a query. */
export const isUuid = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
