package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/omenhq/omen/series"
)

// Environment variables Kubernetes sets in the pods of an Indexed Job:
// JOB_COMPLETION_INDEX is the pod's index, from 0; omen reads the number
// of shards from JOB_COMPLETIONS, which the Job's manifest must set to
// spec.completions (Kubernetes does not set it itself: the Indexed Job
// manifests of deploy/ do, with the same value).
const (
	EnvShardIndex = "JOB_COMPLETION_INDEX"
	EnvShardCount = "JOB_COMPLETIONS"
)

// ErrShard is wrapped by the errors of ParseShard and ShardFromEnv.
var ErrShard = errors.New("engine: invalid shard")

// Shard is one part of a stable hash partition of the targets: shard
// Index of Count takes the targets whose identity hashes to Index modulo
// Count (see Shard.Owns). The zero value, like any Count ≤ 1, is the
// whole fleet.
//
// A target's identity is the values of its spec's On labels (the labels
// its usage, limit and restart series share), or its labels but the
// metric name when the spec has no On labels: the same target lands in
// the same shard whatever the order of the series, the other series of
// the fleet and the batch it is fetched in, so N shards' results are one
// run's, each target exactly once.
type Shard struct {
	// Index is the shard, from 0 to Count-1.
	Index int
	// Count is the number of shards.
	Count int
}

// Active reports whether s is a real part of the fleet (Count > 1).
func (s Shard) Active() bool { return s.Count > 1 }

// String is "I/N", or "" for the whole fleet.
func (s Shard) String() string {
	if !s.Active() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Validate reports a shard outside its count.
func (s Shard) Validate() error {
	if s.Count < 0 || (s.Count > 0 && (s.Index < 0 || s.Index >= s.Count)) || (s.Count == 0 && s.Index != 0) {
		return fmt.Errorf("%w: shard %d of %d: want an index from 0 to the count less one", ErrShard, s.Index, s.Count)
	}
	return nil
}

// ParseShard reads "I/N" (0 ≤ I < N); "" is the whole fleet.
func ParseShard(v string) (Shard, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Shard{}, nil
	}
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w: %q: want I/N, such as 0/4 (the first of four shards)", ErrShard, v)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil || cnt < 1 {
		return Shard{}, fmt.Errorf("%w: %q: want I/N with whole numbers, N at least 1, such as 0/4", ErrShard, v)
	}
	s := Shard{Index: idx, Count: cnt}
	if err := s.Validate(); err != nil {
		return Shard{}, fmt.Errorf("%w: %q: want 0 ≤ I < N", ErrShard, v)
	}
	return s, nil
}

// ShardFromEnv returns the shard of a Kubernetes Indexed Job's pod from
// JOB_COMPLETION_INDEX and JOB_COMPLETIONS, read through getenv; ok is
// false when JOB_COMPLETION_INDEX is not set. An index without a count is
// an error: every pod would predict the whole fleet.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	idx := strings.TrimSpace(getenv(EnvShardIndex))
	if idx == "" {
		return Shard{}, false, nil
	}
	cnt := strings.TrimSpace(getenv(EnvShardCount))
	if cnt == "" {
		return Shard{}, true, fmt.Errorf("%w: %s=%s is set but %s is not: set it to the Job's spec.completions", ErrShard, EnvShardIndex, idx, EnvShardCount)
	}
	s, err = ParseShard(idx + "/" + cnt)
	if err != nil {
		return Shard{}, true, fmt.Errorf("%s=%s, %s=%s: %w", EnvShardIndex, idx, EnvShardCount, cnt, err)
	}
	return s, true, nil
}

// Owns reports whether the target of spec with labels ls belongs to s.
func (s Shard) Owns(spec TargetSpec, ls series.Labels) bool {
	if !s.Active() {
		return true
	}
	return s.of(joinKey(ls, spec.On))
}

// OwnsFile reports whether the rule file at path (as the rules name it:
// relative to the rules' root, slash-separated) belongs to s: the tuning
// stage of a sharded run tunes, edits and delivers only the files its
// shard owns, so no two shards ever propose for one file.
func (s Shard) OwnsFile(path string) bool {
	if !s.Active() {
		return true
	}
	return s.of("file\x00" + path)
}

// of reports whether the identity key belongs to s: FNV-1a (64 bits) of
// the key, modulo Count.
func (s Shard) of(key string) bool {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}

// Path returns the path of a report written by shard s: path itself for
// the whole fleet; with "{shard}" in it, that replaced by I-of-N; else
// ".shard-I-of-N" inserted before the extension (omen.html →
// omen.shard-0-of-4.html), so that shards writing to a shared volume never
// overwrite each other. "-" and "" (stdout) are kept.
func (s Shard) Path(path string) string {
	if !s.Active() || path == "" || path == "-" {
		return strings.ReplaceAll(path, "{shard}", "all")
	}
	tag := fmt.Sprintf("%d-of-%d", s.Index, s.Count)
	if strings.Contains(path, "{shard}") {
		return strings.ReplaceAll(path, "{shard}", tag)
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".shard-" + tag + ext
}
