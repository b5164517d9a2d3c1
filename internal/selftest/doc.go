// Package selftest proves the suite's verdicts. Its tests compile the live
// suite (acceptance/, tag live) once, run it as a child process against
// simulated servers that misbehave in known ways, and assert which cases
// fail, with which diagnosis code and remedy, and what the outputs hold.
// A healthy server must pass everything.
package selftest
