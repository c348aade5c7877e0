// danfojs-node requires @tensorflow/tfjs-node 3.x, whose install downloads libtensorflow from a host
// these machines cannot reach. Re-exporting the root @tensorflow/tfjs keeps one engine in the process
// (two engines would silently split kernel registrations and backends).
module.exports = require("@tensorflow/tfjs");
