// The partition Kafka's Java producer picks for each key: reads keys (UTF-8, one per line) on stdin,
// prints "<partition> <murmur2>" per key. Run with the Kafka jars on the class path:
//   java -cp '<kafka jars>/*' JavaPartitions.java <partitions> < keys
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;

public class JavaPartitions {
  public static void main(String[] args) throws Exception {
    int partitions = Integer.parseInt(args[0]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      byte[] key = line.getBytes(StandardCharsets.UTF_8);
      out.append(BuiltInPartitioner.partitionForKey(key, partitions)).append(' ');
      out.append(Utils.murmur2(key)).append('\n');
    }
    System.out.print(out);
  }
}
