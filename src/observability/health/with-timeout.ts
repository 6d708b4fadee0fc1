/** A check that has not answered in time counts as down: a hung dependency never hangs a probe. */
export class CheckTimedOutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export async function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimedOutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a failed check may say: its own words, never a stack, a URL or a credential. */
export function reasonOf(error: unknown): string {
  if (error instanceof CheckTimedOutError) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return `unreachable (${code})`;
  return 'unreachable';
}
