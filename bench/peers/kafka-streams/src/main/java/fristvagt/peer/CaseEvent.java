package fristvagt.peer;

import java.nio.charset.StandardCharsets;

/**
 * The few fields of a fristvagt.v1.CaseEvent (proto/case_event.proto) the peer's three rules
 * read, from the protobuf wire format by hand (no generated code, no protobuf dependency):
 * person_key = 2, occurred_at = 5 (Timestamp: seconds = 1, nanos = 2), payloads first_contact =
 * 100, meeting_held = 101, test_need_assessed = 108 (outcome = 1), test_completed = 109.
 */
final class CaseEvent {
  static final int OTHER = 0;
  static final int FIRST_CONTACT = 100;
  static final int MEETING_HELD = 101;
  static final int TEST_NEED_ASSESSED = 108;
  static final int TEST_COMPLETED = 109;
  static final int TEST_NEEDED = 1;

  String personKey = "";
  long occurredMillis;
  int payload = OTHER;
  int outcome;

  private final byte[] b;
  private int pos;
  private final int end;

  private CaseEvent(byte[] bytes, int from, int to) {
    b = bytes;
    pos = from;
    end = to;
  }

  /** null when the bytes are not a CaseEvent. */
  static CaseEvent parse(byte[] bytes) {
    if (bytes == null) return null;
    CaseEvent event = new CaseEvent(bytes, 0, bytes.length);
    try {
      event.readEnvelope();
      return event;
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      return null;
    }
  }

  private long varint() {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) throw new IllegalStateException("truncated");
      byte x = b[pos++];
      value |= (long) (x & 0x7f) << shift;
      if (x >= 0) return value;
    }
    throw new IllegalStateException("varint");
  }

  private void skip(int wireType) {
    switch (wireType) {
      case 0 -> varint();
      case 1 -> pos += 8;
      case 2 -> pos += (int) varint();
      case 5 -> pos += 4;
      default -> throw new IllegalStateException("wire type");
    }
    if (pos > end) throw new IllegalStateException("truncated");
  }

  private void readEnvelope() {
    while (pos < end) {
      long tag = varint();
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (wire != 2) {
        skip(wire);
        continue;
      }
      int length = (int) varint();
      int start = pos;
      pos += length;
      if (pos > end || length < 0) throw new IllegalStateException("truncated");
      if (field == 2) {
        personKey = new String(b, start, length, StandardCharsets.UTF_8);
      } else if (field == 5) {
        occurredMillis = readTimestampMillis(start, start + length);
      } else if (field == FIRST_CONTACT || field == MEETING_HELD || field == TEST_COMPLETED) {
        payload = field;
      } else if (field == TEST_NEED_ASSESSED) {
        payload = field;
        outcome = readOutcome(start, start + length);
      } else if (field >= 100) {
        payload = OTHER;
      }
    }
  }

  private long readTimestampMillis(int from, int to) {
    CaseEvent ts = new CaseEvent(b, from, to);
    long seconds = 0;
    long nanos = 0;
    while (ts.pos < ts.end) {
      long tag = ts.varint();
      if (tag == (1 << 3)) seconds = ts.varint();
      else if (tag == (2 << 3)) nanos = ts.varint();
      else ts.skip((int) (tag & 7));
    }
    return seconds * 1000 + nanos / 1_000_000;
  }

  private int readOutcome(int from, int to) {
    CaseEvent assessed = new CaseEvent(b, from, to);
    int value = 0;
    while (assessed.pos < assessed.end) {
      long tag = assessed.varint();
      if (tag == (1 << 3)) value = (int) assessed.varint();
      else assessed.skip((int) (tag & 7));
    }
    return value;
  }
}
