// `kafka-cluster topics BOOTSTRAP PARTITIONS`: creates the topics `fristvagt run` uses with its
// default [topics] names, with the settings docs/operations.md gives, on a cluster started by
// kafka-cluster. Run as a single-file source program (java Topics.java) on the broker's class
// path, so it needs nothing built. Topics that exist are left as they are.
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

public class Topics {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: Topics BOOTSTRAP PARTITIONS");
      System.exit(2);
    }
    int partitions = Integer.parseInt(args[1]);
    Map<String, String> compact = Map.of("cleanup.policy", "compact");
    Map<String, Map<String, String>> topics = Map.of(
        "case-events", Map.of(),
        "fristvagt.alerts", Map.of(),
        "fristvagt.obligations", compact,
        "case-events.dlq", Map.of(),
        "fristvagt.state-changelog", compact,
        "fristvagt.instances", compact);
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> create = new ArrayList<>();
      for (var topic : topics.entrySet()) {
        if (existing.contains(topic.getKey())) continue;
        create.add(new NewTopic(topic.getKey(), java.util.Optional.of(partitions),
            java.util.Optional.empty()).configs(topic.getValue()));
      }
      admin.createTopics(create).all().get();
      for (NewTopic t : create) System.out.println("created " + t.name());
    }
  }
}
