// One server-sent-events frame. Strings go out as they are, so that `[DONE]` and deliberately
// malformed frames can be written too; anything else is sent as JSON.

/**
 * @param {unknown} data
 * @param {string} [eventName]
 */
export function sse(data, eventName) {
  const line = `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
  return eventName ? `event: ${eventName}\n${line}` : line;
}
