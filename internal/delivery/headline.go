package delivery

// Headline returns the metrics a proposal is judged by, before and after
// the change: those on validation data when the proposal has them (the
// tuner's summary over all folds, else the folds summed: pages per week
// averaged, incidents added, precision and lead time as the median of the
// folds'), else those on the tuning window; validation reports which. It
// is what the pull request's summary shows and what `omen apply` records
// as the change's promise.
func Headline(p Proposal) (before, after *Metrics, validation bool) {
	if vb, va := validationMetrics(p); vb != nil || va != nil {
		return vb, va, true
	}
	return p.Before, p.After, false
}
