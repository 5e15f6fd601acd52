package benchcap

import "github.com/omenhq/omen/fixtures"

// DrawOptions returns the options that run the benchmark on
// fixtures.CapacityDraws(seed, n) — the independent draws, each predicted
// at its own as-of instants — instead of the capacity suite. Development
// draws use fixtures.DrawsDevSeed; fixtures.DrawsHeldOutSeed is the
// held-out part, evaluated once at the end of a round.
func DrawOptions(seed uint64, n int) Options {
	scs, at := fixtures.DrawScenarios(fixtures.CapacityDraws(seed, n))
	return Options{Seed: seed, Scenarios: scs, ScenarioAsOfs: at}
}
