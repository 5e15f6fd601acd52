// Package sink turns results into things people and machines read: charts
// (SVG and PNG, drawn with gonum/plot), reports and write-back to a TSDB.
// It never prints; callers pass the io.Writer.
package sink
