// The sink (Kafka -> Parquet on S3) is not built yet; see issue 4.
process.stderr.write('loglake sink: not implemented yet\n');
process.exit(1);
