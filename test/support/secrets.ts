/** What must never appear in a log line: an API key, or an Authorization header value. */
export const SECRET_PATTERNS: RegExp[] = [
  /sgl_[A-Za-z0-9_-]{43}/,
  /\b(?:Basic|Bearer)\s+[A-Za-z0-9+/_-]{16,}={0,2}/i,
];

export function linesWithSecrets(lines: string[]): string[] {
  return lines.filter((line) => SECRET_PATTERNS.some((pattern) => pattern.test(line)));
}

/** Output of processes a test started (servers), collected for the same check. */
export const childOutputs: (() => string)[] = [];
