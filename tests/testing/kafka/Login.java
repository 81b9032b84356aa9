// `kafka-cluster login BOOTSTRAP MECHANISM USER PASSWORD`: logs in with the Java client (the
// broker's own SASL implementation on both ends) and asks for the cluster's nodes. Exit 0 when
// the login is accepted, 3 when the broker refuses the credentials, 1 on anything else. Tells
// a credential that was never registered apart from a client library that cannot log in
// (tests/integration/kafka_sasl_test.cc). Run as a single-file source program.
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;

public class Login {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: Login BOOTSTRAP MECHANISM USER PASSWORD");
      System.exit(2);
    }
    String module = args[1].startsWith("SCRAM-")
        ? "org.apache.kafka.common.security.scram.ScramLoginModule"
        : "org.apache.kafka.common.security.plain.PlainLoginModule";
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put("security.protocol", "SASL_PLAINTEXT");
    props.put("sasl.mechanism", args[1]);
    props.put("sasl.jaas.config", module + " required username=\"" + args[2] + "\" password=\""
        + args[3] + "\";");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(props)) {
      System.out.println("accepted: " + admin.describeCluster().nodes().get());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SaslAuthenticationException) {
        System.out.println("refused: " + e.getCause().getMessage());
        System.exit(3);
      }
      throw e;
    }
  }
}
