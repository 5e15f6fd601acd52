// Package cputime reads the CPU time of the running process, for the
// reports of `omen bench` and the benchmarks: CPU time does not depend on
// what else the machine is doing, as wall time does.
package cputime
