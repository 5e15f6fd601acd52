// Package seriesio reads and writes metric history in the file formats omen
// understands: what the file source, the sinks, the fixtures and the test
// rig share. It knows nothing of queries; internal/source/file serves what
// it reads as a source.Source.
//
// The formats are:
//
//   - CSV, long (timestamp,value,label…) or wide (timestamp,metric1,metric2,…),
//     with RFC 3339, "2006-01-02 15:04:05", Unix-second or Unix-millisecond
//     timestamps (see ReadCSV);
//   - the JSON body of a Prometheus /api/v1/query_range (or /api/v1/query)
//     response (see ReadPromJSON);
//   - OpenMetrics text with timestamps in seconds and a final "# EOF" line, or
//     the Prometheus text exposition format with timestamps in milliseconds
//     (see ReadOpenMetrics; without "# EOF" the unit is told from the
//     numbers and reported). WriteOpenMetrics output is what
//     "promtool tsdb create-blocks-from openmetrics" and VictoriaMetrics'
//     /api/v1/import/prometheus ingest.
//
// Any input may be gzip-compressed: the magic bytes are checked on every
// input, standard input included, whatever the name.
//
// ReadCSV streams its input; the JSON and OpenMetrics readers load the whole
// input into memory first (JSON to turn byte offsets into line:column, and
// OpenMetrics because a final "# EOF" line decides the timestamp unit), which
// suits files of up to a few hundred megabytes. Malformed input is reported
// as a *ParseError naming the file, the line (and column where useful), the
// series and what was expected. Every writer's output is read back unchanged
// by the matching reader, except that WriteOpenMetrics leaves NaN samples
// out.
//
// # Unordered rows and repeated timestamps
//
// Real exports have both: a CSV written in local time repeats an hour when
// daylight saving time ends, and concatenated exports come out of order.
// Every reader follows the same rules:
//
//   - rows of a series out of time order are sorted into place, stably (rows
//     with equal timestamps keep their file order);
//   - of several rows of a series with the same timestamp, the last one in
//     file order is kept in the series.
//
// Readers return the series sorted by labels with strictly increasing
// timestamps: what analyses on a time grid (forecast, predict, fetch,
// detect's intervals) use. Decode (and a file source, through QueryRows) also
// gives the rows as the file holds them — in file order, duplicates
// included — which is what per-row output scores and echoes, and a Repairs
// value counting what was moved and dropped, for the one warning of each
// kind a command logs.
//
// AppendVMImport writes VictoriaMetrics' JSON-lines import format.
package seriesio
