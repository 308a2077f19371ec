package io.zogate.proxy.upstream;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a {@code text/event-stream} per the WHATWG parsing rules, at the byte level: lines end
 * with CR, LF or CRLF; {@code data} lines are joined with LF; {@code id} sets the last event id
 * (ignored when it holds NUL); {@code event}, {@code retry}, unknown fields and comments are
 * ignored; a blank line ends an event; an unterminated event at the end of the stream is
 * discarded. An event whose data is empty (the MCP priming event: an id and an empty data line)
 * is not a message and is not returned, but its id is carried to the next returned event so
 * the client's last event id still matches the upstream's.
 *
 * <p>Every byte of an event, line ends, comments and ignored fields included, counts against
 * {@code maxEventBytes}, so neither a huge line nor endless comments grow memory.
 */
final class SseReader {

  /** One event to relay: the id to send with it (or null) and its data, never empty. */
  record Event(String id, byte[] data) {}

  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ID = "id".getBytes(StandardCharsets.US_ASCII);

  private final InputStream in;
  private final long maxEventBytes;
  private final byte[] buffer = new byte[8192];
  private int position;
  private int limit;
  private boolean atStart = true;
  private boolean lastWasCr;

  private final GrowableBytes line = new GrowableBytes();
  private final GrowableBytes data = new GrowableBytes();
  private long eventBytes;
  private String pendingId;

  SseReader(InputStream in, long maxEventBytes) {
    this.in = in;
    this.maxEventBytes = maxEventBytes;
  }

  /** The next event with data, or null at the end of the stream. */
  Event next() throws IOException, RefusalException {
    while (true) {
      if (position == limit && !fill()) {
        return null;
      }
      byte b = buffer[position++];
      count();
      if (b == LF && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b == CR;
      if (b == CR || b == LF) {
        Event event = endLine();
        if (event != null) {
          return event;
        }
      } else {
        line.add(b);
      }
    }
  }

  /** Refills the buffer; true when it now holds at least one byte. */
  private boolean fill() throws IOException {
    if (atStart) {
      atStart = false;
      // The event-stream decoder drops one leading byte order mark, however the bytes arrive.
      byte[] head = in.readNBytes(3);
      boolean bom = head.length == 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB
          && (head[2] & 0xFF) == 0xBF;
      if (!bom && head.length > 0) {
        System.arraycopy(head, 0, buffer, 0, head.length);
        position = 0;
        limit = head.length;
        return true;
      }
    }
    int read;
    do {
      read = in.read(buffer, 0, buffer.length);
    } while (read == 0);
    if (read < 0) {
      return false;
    }
    position = 0;
    limit = read;
    return true;
  }

  private void count() throws RefusalException {
    if (++eventBytes > maxEventBytes) {
      throw new RefusalException(Reason.RESPONSE_TOO_LARGE, "event over maxEventBytes");
    }
  }

  private Event endLine() {
    if (line.size() == 0) {
      eventBytes = 0;
      return dispatch();
    }
    byte[] raw = line.array();
    int length = line.size();
    int colon = indexOf(raw, length, (byte) ':');
    if (colon == 0) {
      line.clear();
      return null; // comment
    }
    int nameEnd = colon < 0 ? length : colon;
    int valueStart = colon < 0 ? length : colon + 1;
    if (valueStart < length && raw[valueStart] == ' ') {
      valueStart++;
    }
    if (fieldIs(raw, nameEnd, DATA)) {
      data.add(raw, valueStart, length - valueStart);
      data.add(LF);
    } else if (fieldIs(raw, nameEnd, ID)) {
      if (indexOf(raw, length, (byte) 0, valueStart) < 0) {
        pendingId = new String(raw, valueStart, length - valueStart, StandardCharsets.UTF_8);
      }
    }
    line.clear();
    return null;
  }

  private Event dispatch() {
    int size = data.size();
    if (size > 0) {
      size--; // the LF after the last data line
    }
    if (size == 0) {
      data.clear();
      return null;
    }
    Event event = new Event(pendingId, Arrays.copyOf(data.array(), size));
    pendingId = null;
    data.clear();
    return event;
  }

  private static boolean fieldIs(byte[] raw, int nameLength, byte[] name) {
    return nameLength == name.length && Arrays.equals(raw, 0, nameLength, name, 0, nameLength);
  }

  private static int indexOf(byte[] raw, int length, byte wanted) {
    return indexOf(raw, length, wanted, 0);
  }

  private static int indexOf(byte[] raw, int length, byte wanted, int from) {
    for (int i = from; i < length; i++) {
      if (raw[i] == wanted) {
        return i;
      }
    }
    return -1;
  }

  /** A byte buffer that grows; bounded by the caller's event count. */
  static final class GrowableBytes {
    private byte[] bytes = new byte[256];
    private int size;

    void add(byte b) {
      ensure(1);
      bytes[size++] = b;
    }

    void add(byte[] source, int offset, int length) {
      ensure(length);
      System.arraycopy(source, offset, bytes, size, length);
      size += length;
    }

    int size() {
      return size;
    }

    byte[] array() {
      return bytes;
    }

    void clear() {
      size = 0;
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }
  }
}
