/** At most `n` characters of a line, quoted, for a message. */
export function preview(text: string, n = 60): string {
  return JSON.stringify(text.length > n ? text.slice(0, n) + '…' : text);
}
