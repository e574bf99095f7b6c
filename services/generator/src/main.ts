// The traffic generator is not built yet; see issue 5.
process.stderr.write('loglake generator: not implemented yet\n');
process.exit(1);
