// Package loadmsg holds the pure judges and the words of the load areas
// (stability, concurrency, conversation, capacity, tool calling under
// load): the failure message of a run, the one-line log of each, the
// remedies, and the capacity section's verdict from a search. The live
// tests (through internal/suite) and merge's junit.xml (internal/shard)
// call the same functions, so a merged run's JUnit says what the live
// run says. Everything here is a function of finished sidecar values;
// the verdicts themselves come from sidecar.Judge.
package loadmsg
