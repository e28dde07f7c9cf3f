// The process-level backstop for a promise that nobody awaited and that rejected. Node's
// default for one is to end the process: every stream and call on this replica would die for
// what is usually one failed write (a Redis blip). The cause is fixed where it happens (every
// write is awaited; the lint's no-floating-promises keeps it so); this handler only makes a
// missed case visible (a log line and a running count) instead of fatal.
// The log line carries the error's name and its message with any URL credentials cut out:
// never the error object itself, whose fields (a Redis command's arguments, a request's
// headers) may hold passwords or tokens.
import { logEvent, type LogWriter } from './log.js';

const MAX_MESSAGE = 300;

export interface RejectionBackstop {
  /** Unhandled rejections seen since it was installed. */
  readonly count: number;
  uninstall(): void;
}

export function catchUnhandledRejections(log: LogWriter, target: NodeJS.EventEmitter = process): RejectionBackstop {
  let count = 0;
  const listener = (reason: unknown): void => {
    count++;
    logEvent(log, 'unhandled_rejection', { count, error: nameOf(reason), message: safeMessage(reason) });
  };
  target.on('unhandledRejection', listener);
  return {
    get count() {
      return count;
    },
    uninstall: () => void target.off('unhandledRejection', listener),
  };
}

function nameOf(reason: unknown): string {
  return reason instanceof Error ? reason.name : typeof reason;
}

function safeMessage(reason: unknown): string {
  const message = reason instanceof Error ? reason.message : '';
  // "redis://:secret@host" -> "redis://…@host"; then bounded, on one line.
  return message.replace(/\/\/[^\s/@]*@/g, '//…@').replace(/\s+/g, ' ').slice(0, MAX_MESSAGE);
}
