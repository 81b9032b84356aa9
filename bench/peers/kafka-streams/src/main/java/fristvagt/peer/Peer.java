package fristvagt.peer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The peer of issue 15: first_meeting, test_need_assessment and test_completed (lab2020's
 * wording in rules/regimes/lab2020.toml: 7 days, 1 month, 1 month after the first contact;
 * test_completed waived by an assessment other than TEST_NEEDED) as a team would write them in
 * Kafka Streams: one RocksDB store of per-person state, one RocksDB store of deadlines keyed by
 * due moment, and a stream-time punctuator that raises a BREACH for every deadline passed and
 * not met. Reads fristvagt's case-events topic (protobuf CaseEvent, key person_key) and writes
 * one line per breach to the output topic.
 *
 * <p>java -cp 'target/peer.jar:target/lib/*' fristvagt.peer.Peer BOOTSTRAP INPUT OUTPUT APP_ID
 */
public final class Peer {
  static final String PERSONS = "persons";
  static final String DEADLINES = "deadlines";
  static final String[] RULES = {"first_meeting", "test_need_assessment", "test_completed"};
  static final ZoneId COPENHAGEN = ZoneId.of("Europe/Copenhagen");

  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: Peer BOOTSTRAP INPUT OUTPUT APP_ID");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put("auto.offset.reset", "earliest");
    // The side-by-side driver (bench/peer_bench.cc) sets these: a fresh state dir per run, and
    // a commit interval short enough that "everything committed" marks the end of the work.
    String stateDir = System.getProperty("peer.state.dir");
    if (stateDir != null) props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    String commitMs = System.getProperty("peer.commit.interval.ms");
    if (commitMs != null) props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(commitMs));

    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(PERSONS), Serdes.String(), Serdes.ByteArray()));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(DEADLINES), Serdes.Bytes(), Serdes.ByteArray()));
    builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .process(Watch::new, PERSONS, DEADLINES)
        .to(args[2], Produced.with(Serdes.String(), Serdes.String()));
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
    streams.start();
  }

  /** Per person: first contact moment (0 = none) and a bit per rule: met or waived. */
  static byte[] encode(long firstContactMillis, int closed) {
    return java.nio.ByteBuffer.allocate(12).putLong(firstContactMillis).putInt(closed).array();
  }

  /** Deadline key: due millis (big-endian, sign flipped) + rule index + person key. */
  static Bytes deadlineKey(long dueMillis, int rule, String person) {
    byte[] p = person.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(java.nio.ByteBuffer.allocate(9 + p.length)
        .putLong(dueMillis ^ Long.MIN_VALUE).put((byte) rule).put(p).array());
  }

  static final class Watch implements Processor<String, byte[], String, String> {
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, byte[]> persons;
    private KeyValueStore<Bytes, byte[]> deadlines;
    // Where the next scan of the deadline index starts: the last scan's upper bound, or an
    // earlier due moment inserted since. Scanning from the start of the store each time (the
    // first version) walks every deleted deadline's tombstone on every punctuation, which made
    // the peer quadratic (bench/peers/kafka-streams/README.md).
    private long scanFrom = Long.MIN_VALUE;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      persons = context.getStateStore(PERSONS);
      deadlines = context.getStateStore(DEADLINES);
      context.schedule(Duration.ofSeconds(1), PunctuationType.STREAM_TIME, this::fireDue);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      CaseEvent event = CaseEvent.parse(record.value());
      if (event == null || event.personKey.isEmpty()) return;  // a dead letter in fristvagt
      byte[] stored = persons.get(event.personKey);
      long first = stored == null ? 0 : java.nio.ByteBuffer.wrap(stored).getLong(0);
      int closed = stored == null ? 0 : java.nio.ByteBuffer.wrap(stored).getInt(8);
      if (event.payload == CaseEvent.FIRST_CONTACT && first == 0) {
        first = event.occurredMillis;
        ZonedDateTime at = Instant.ofEpochMilli(first).atZone(COPENHAGEN);
        long[] due = {
          at.toLocalDate().plusDays(8).atStartOfDay(COPENHAGEN).toInstant().toEpochMilli(),
          at.toLocalDate().plusMonths(1).plusDays(1).atStartOfDay(COPENHAGEN).toInstant()
              .toEpochMilli(),
          at.toLocalDate().plusMonths(1).plusDays(1).atStartOfDay(COPENHAGEN).toInstant()
              .toEpochMilli()};
        for (int rule = 0; rule < RULES.length; ++rule) {
          deadlines.put(deadlineKey(due[rule], rule, event.personKey), new byte[0]);
          scanFrom = Math.min(scanFrom, due[rule]);
        }
      } else if (event.payload == CaseEvent.MEETING_HELD) {
        closed |= 1;
      } else if (event.payload == CaseEvent.TEST_NEED_ASSESSED) {
        closed |= 2;
        if (event.outcome != CaseEvent.TEST_NEEDED) closed |= 4;  // test_completed waived
      } else if (event.payload == CaseEvent.TEST_COMPLETED) {
        closed |= 4;
      }
      persons.put(event.personKey, encode(first, closed));
    }

    /** Every deadline up to stream time: a BREACH unless met; the deadline leaves the index. */
    private void fireDue(long streamTime) {
      Bytes upper = deadlineKey(streamTime, 0, "");
      Bytes lower = scanFrom == Long.MIN_VALUE ? null : deadlineKey(scanFrom, 0, "");
      scanFrom = streamTime;
      java.util.List<Bytes> done = new java.util.ArrayList<>();
      try (KeyValueIterator<Bytes, byte[]> it = deadlines.range(lower, upper)) {
        while (it.hasNext()) {
          KeyValue<Bytes, byte[]> entry = it.next();
          byte[] key = entry.key.get();
          int rule = key[8];
          String person = new String(key, 9, key.length - 9, StandardCharsets.UTF_8);
          byte[] stored = persons.get(person);
          int closed = stored == null ? 0 : java.nio.ByteBuffer.wrap(stored).getInt(8);
          if ((closed & (1 << rule)) == 0) {
            context.forward(new Record<>(person, "BREACH " + RULES[rule], streamTime));
          }
          done.add(entry.key);
        }
      }
      for (Bytes key : done) deadlines.delete(key);
    }

    @Override
    public void close() {}
  }
}
