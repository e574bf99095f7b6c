/**
 * Key → partition of Kafka's Java producer, for tests of the clients' partitioners: murmur2 values
 * from Kafka's own UtilsTest plus keys of the benches, partitions from
 * `BuiltInPartitioner.partitionForKey` of kafka-clients 4.4.0 (bench/src/kafka-clients/JavaPartitions.java).
 * [key, Java's murmur2, partition of 6, partition of 12].
 */
export const JAVA_PARTITIONS: readonly (readonly [string, number, number, number])[] = [
  ['21', -973932308, 0, 0],
  ['foobar', -790332482, 0, 6],
  ['a-little-bit-long-string', -985981536, 2, 8],
  ['a-little-bit-longer-string', -1486304829, 5, 11],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 5, 5],
  ['abc', 479470107, 3, 3],
  ['user-0', 637506763, 1, 7],
  ['user-1', 1404122828, 2, 8],
  ['user-2', -324981792, 2, 8],
  ['user-3', 1141442267, 5, 11],
  ['user-4', 2067937567, 1, 7],
  ['user-5', -345666322, 4, 10],
  ['user-6', -936439275, 5, 5],
  ['user-7', 696778364, 2, 8],
  ['user-8', -1644747527, 3, 9],
  ['user-9', -1013299269, 5, 11],
  ['user-10', -1766607138, 2, 2],
  ['user-11', -1064211118, 4, 10],
];
