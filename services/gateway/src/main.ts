process.stderr.write('loglake gateway: not implemented yet\n');
process.exit(1);
