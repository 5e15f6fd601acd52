// Package m4 scores forecasting models on data in the wide CSV format of the
// M4 competition (https://github.com/Mcompetitions/M4-methods): one row per
// series, the id in the first column and the observations after it.
//
// It computes the competition's point-forecast metrics exactly as the
// organisers' "Benchmarks and Evaluation.R" does — sMAPE, MASE and OWA
// relative to the Naive2 benchmark — together with the coverage of the
// prediction intervals and the time taken, and runs a model over the series
// in parallel with a fixed number of workers (Run).
//
// Definitions (M4, Makridakis et al., IJF 36 (2020) 54-74):
//
//	sMAPE = (200/h) Σ_t |y_t − ŷ_t| / (|y_t| + |ŷ_t|)
//	MASE  = mean_t |y_t − ŷ_t| / ( (1/(n−m)) Σ_{i=m+1..n} |x_i − x_{i−m}| )
//	OWA   = ½ (sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2)
//
// where the averages over series are taken before the ratios (ratio of
// averages), x is the training part of length n and m the seasonal period.
package m4
