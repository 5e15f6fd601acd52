// Package prom reads metric history from any server that speaks the
// Prometheus HTTP query API (/api/v1/query_range): Prometheus,
// VictoriaMetrics (single node, or a cluster's /select/<tenant>/prometheus
// prefix), Thanos, Mimir and Cortex. It is the only omen package that
// imports github.com/prometheus/client_golang/api.
//
// A Client spends a query budget so that a nightly job never hurts the TSDB:
//
//   - Step. A query with Step 0 gets the step from ChooseStep: the smallest
//     of 15s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d that
//     gives at most 5,000 points over the range.
//   - Grid. The start is rounded up to the next multiple of the step (Unix
//     epoch based), as the Thanos, Mimir and VictoriaMetrics query frontends do
//     for caching. Every backend then returns the same grid, and no point lies
//     outside [Start, End]. VictoriaMetrics otherwise rounds an unaligned start
//     down for ranges of 50 points or more, which would give different grids
//     for the windows of one query.
//   - Windows. The grid is split by Windows into consecutive windows of at
//     most Config.MaxPointsPerQuery points (Prometheus refuses more than
//     11,000 per series); each window starts one step after the previous
//     window's last point, so no point is lost or duplicated at borders.
//     Windows are fetched concurrently, at most Config.MaxConcurrency requests
//     at a time for all queries of one Client, and merged per series.
//   - Retries. A request that fails with a 5xx status, 429, a network error,
//     a truncated response or a per-request timeout is retried up to
//     Config.MaxRetries times after an exponential backoff with jitter
//     (see Config.RetryBackoff); Retry-After is honoured on 429 and 503.
//     Other 4xx statuses (400 bad query, 401/403, 404, 422), certificate
//     errors and complete bodies that do not decode are never retried
//     (a request refused with 403, 405 or 501 is repeated once as a GET,
//     as client_golang does). Cancelling the context stops everything,
//     including backoff sleeps.
//   - All or nothing. When any window fails after its retries, the whole
//     query fails: a Result never holds silently partial data. Server
//     warnings (for example Thanos partial responses) and infos are returned
//     in Result.Warnings, deduplicated, and logged at Warn level.
//   - Decoding. A query_range body is decoded as it arrives, in one pass
//     straight into series: the body is never held whole, no intermediate
//     model is built, label strings are interned per response, and a
//     goroutine reads (and inflates) up to 4 MiB ahead of the decoder, so
//     that the connection is drained while the decoder works. The request
//     goes through the same transport as every other (headers, credentials,
//     nocache) and its failures are classified as client_golang's were.
//
// Errors name the server URL with any password removed; credentials (bearer
// token, basic-auth password) never appear in an error or a log line, and
// request headers are never logged.
package prom
