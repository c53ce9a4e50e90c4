// Small shared conversions for API responses, path parameters and text bound for Postgres.

/** A timestamp as the API shows it (ISO 8601), or null. */
export const iso = (d: Date | null | undefined): string | null => d?.toISOString() ?? null;

/** Whether a path parameter can be a row id; anything else is answered 404 without a query. */
export const isUuid = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/**
 * Text as Postgres can store it: text and jsonb cannot hold U+0000, which a model or a program's
 * output may still produce, so it is kept visible as U+FFFD instead of failing the write.
 */
export const storable = (text: string): string => text.replaceAll("\u0000", "\uFFFD");
