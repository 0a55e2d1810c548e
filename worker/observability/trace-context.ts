/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the caller's `traceparent` is
 * kept when it is valid, this request becomes a child span of it (same trace id, new span
 * id, same flags), and anything invalid is replaced by a fresh trace. The result goes back
 * in the response's `traceparent` header and into the request's log line, so a client, the
 * logs and any downstream call (send `trace.traceparent`) meet on one trace id.
 */
export interface TraceContext {
  traceId: string;
  /** This request's span. */
  spanId: string;
  /** The caller's span, when a valid traceparent came in. */
  parentSpanId?: string;
  flags: string;
  /** `00-<traceId>-<spanId>-<flags>`: what to send downstream and back to the client. */
  traceparent: string;
  /** What the request carried. */
  incoming: 'valid' | 'invalid' | 'absent';
}

const HEADER = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A fresh trace id and span id. All-zero ids are invalid (spec §3.2.2.3, §3.2.2.4): draw again. */
function freshIds(): { traceId: string; spanId: string } {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    let hex = '';
    for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
    const traceId = hex.slice(0, 32);
    const spanId = hex.slice(32);
    if (traceId !== ZERO_TRACE && spanId !== ZERO_SPAN) return { traceId, spanId };
  }
}

/** Parses a `traceparent` header; null when it is not one the spec lets us continue. */
export function parseTraceparent(header: string | undefined): { traceId: string; parentSpanId: string; flags: string } | null {
  if (!header) return null;
  const match = HEADER.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [string, string, string, string, string, string?];
  // Version ff is forbidden; version 00 has exactly four fields; later versions may append more.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return null;
  return { traceId, parentSpanId, flags };
}

/** This request's trace context, continuing the caller's trace when it sent a valid one. */
export function traceFrom(header: string | undefined): TraceContext {
  const parent = parseTraceparent(header);
  const { traceId, spanId } = freshIds();
  if (parent) {
    // Only the sampled bit is defined for version 00; pass it on, clear the rest.
    const flags = (Number.parseInt(parent.flags, 16) & 1).toString(16).padStart(2, '0');
    return {
      traceId: parent.traceId,
      spanId,
      parentSpanId: parent.parentSpanId,
      flags,
      traceparent: `00-${parent.traceId}-${spanId}-${flags}`,
      incoming: 'valid',
    };
  }
  return { traceId, spanId, flags: '00', traceparent: `00-${traceId}-${spanId}-00`, incoming: header ? 'invalid' : 'absent' };
}
