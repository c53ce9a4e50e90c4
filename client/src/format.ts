// Sizes as the page and the model's prompt show them.

/** Bytes as B, KB or MB (binary units, one decimal). */
export const formatBytes = (n: number) =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 ** 2).toFixed(1)} MB`;
