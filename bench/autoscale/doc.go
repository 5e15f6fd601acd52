// Package autoscale benchmarks omen scale: a seeded suite of workloads
// (daily and weekly cycles, growth, bursts, HPAs too tight and too loose,
// leaking and GC-sawtooth containers) whose history is what their current
// HPA made of a generated load; proposals are made on the first weeks
// through the path omen scale takes (manifests read strictly, Propose,
// Edit, the edited manifests read back strictly) and judged by the HPA
// simulator on the held-out weeks, beside krr's simple strategy for the
// requests. `omen bench scale` runs it; bench/RESULTS.md holds the figures.
package autoscale
