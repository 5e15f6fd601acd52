package capacity

import "github.com/omenhq/omen/fixtures"

// DrawOptions returns the options that run the benchmark on
// fixtures.CapacityDraws(seed, n) — the independent draws, each predicted
// at its own as-of instants — instead of the capacity suite. Development
// draws use fixtures.DrawsDevSeed; fixtures.DrawsHeldOutSeed is the
// held-out part, evaluated once at the end of a round; any other seed is a
// further independent part (omen bench capacity --draws-seed). The report
// carries the seed of the draws.
func DrawOptions(seed uint64, n int) Options {
	scs, at := fixtures.DrawScenarios(fixtures.CapacityDraws(seed, n))
	return Options{Seed: seed, Scenarios: scs, ScenarioAsOfs: at}
}
