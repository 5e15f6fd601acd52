package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/series"
)

// StoredPrediction is a prediction kept until its horizon arrives, when
// it is checked against the data.
type StoredPrediction struct {
	// Key identifies the target: its spec and labels.
	Key    string            `json:"key"`
	Target string            `json:"target"`
	Labels map[string]string `json:"labels"`
	AsOf   time.Time         `json:"as_of"`
	// Horizon is how far ahead the prediction looked; it is checked at
	// AsOf + Horizon.
	Horizon Seconds `json:"horizon_s"`
	// Limit and Direction are the threshold in force at AsOf.
	Limit     float64 `json:"limit"`
	Direction string  `json:"direction"`
	// P10, P50 and P90 are the time to exhaustion; nil beyond the horizon.
	P10 *Seconds `json:"p10_s,omitempty"`
	P50 *Seconds `json:"p50_s,omitempty"`
	P90 *Seconds `json:"p90_s,omitempty"`
}

// Seconds is a duration stored as seconds.
type Seconds float64

func (s Seconds) duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

func secondsPtr(d *time.Duration) *Seconds {
	if d == nil {
		return nil
	}
	s := Seconds(d.Seconds())
	return &s
}

// Due returns when the prediction is checked.
func (p StoredPrediction) Due() time.Time { return p.AsOf.Add(p.Horizon.duration()) }

// Check is the outcome of a prediction checked against the data.
type Check struct {
	Key    string    `json:"key"`
	Target string    `json:"target"`
	AsOf   time.Time `json:"as_of"`
	// Exhausted is set when the usage reached the limit within the
	// horizon; Actual is then the time it took.
	Exhausted bool     `json:"exhausted"`
	Actual    *Seconds `json:"actual_s,omitempty"`
	// Covered is set when the outcome lies within [P10, P90] (a quantile
	// beyond the horizon counting as infinite): exhaustion at Actual, or
	// none within the horizon.
	Covered bool `json:"covered"`
	// AbsError is |Actual − P50| when both are within the horizon.
	AbsError *Seconds `json:"abs_error_s,omitempty"`
}

// CheckPrediction checks p against the usage history h (which must cover
// [p.AsOf, p.Due()]). ok is false when h does not reach the due instant
// or starts after the prediction was made.
func CheckPrediction(p StoredPrediction, h series.Series) (c Check, ok bool) {
	c = Check{Key: p.Key, Target: p.Target, AsOf: p.AsOf}
	from, due := p.AsOf.UnixMilli(), p.Due().UnixMilli()
	if h.Len() == 0 || h.Timestamps[h.Len()-1] < due || h.Timestamps[0] > from {
		return c, false
	}
	down := p.Direction == series.Down.String()
	for i, ts := range h.Timestamps {
		if ts <= from {
			continue
		}
		if ts > due {
			break
		}
		v := h.Values[i]
		if math.IsNaN(v) {
			continue
		}
		if (!down && v >= p.Limit) || (down && v <= p.Limit) {
			a := Seconds(float64(ts-from) / 1e3)
			c.Exhausted, c.Actual = true, &a
			break
		}
	}
	inf := Seconds(math.Inf(1))
	lo, hi := inf, inf
	if p.P10 != nil {
		lo = *p.P10
	}
	if p.P90 != nil {
		hi = *p.P90
	}
	if c.Exhausted {
		c.Covered = lo <= *c.Actual && *c.Actual <= hi
		if p.P50 != nil {
			e := Seconds(math.Abs(float64(*c.Actual - *p.P50)))
			c.AbsError = &e
		}
	} else {
		c.Covered = hi > p.Horizon // the interval reaches past the horizon
	}
	return c, true
}

// TargetKey is the key of a result: its spec and labels.
func TargetKey(r engine.Result) string {
	return fmt.Sprintf("%s/%016x", r.Spec, r.Labels.Fingerprint())
}

// Accuracy is the durable store of predictions awaiting their horizon and
// of their checks: a JSON-lines file of records, appended and fsynced.
// It is rewritten (temporary file and rename) when most of its
// predictions were checked.
type Accuracy struct {
	mu      sync.Mutex
	path    string
	spacing time.Duration
	pending []StoredPrediction
	// latest is the as-of of the newest stored prediction per key.
	latest  map[string]time.Time
	checks  []Check
	checked int // predictions checked or dropped since the file was written
	dropped int
}

type accuracyRecord struct {
	Prediction *StoredPrediction `json:"prediction,omitempty"`
	Check      *Check            `json:"check,omitempty"`
	// Drop removes a pending prediction that could not be checked.
	Drop *dropRecord `json:"drop,omitempty"`
}

type dropRecord struct {
	Key  string    `json:"key"`
	AsOf time.Time `json:"as_of"`
}

// OpenAccuracy loads the store at path (a missing file is an empty
// store). spacing is the least time between two stored predictions of
// one target (default 24h): one an hour would check the same forecast
// 24 times. A torn last line is ignored.
func OpenAccuracy(path string, spacing time.Duration) (*Accuracy, error) {
	if spacing <= 0 {
		spacing = 24 * time.Hour
	}
	a := &Accuracy{path: path, spacing: spacing, latest: map[string]time.Time{}}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("cannot read the prediction store: %w", err)
	}
	good, _, err := checkLog(b, path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b[:good]))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for lineNo := 1; sc.Scan(); lineNo++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r accuracyRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("prediction store %s line %d: %w", path, lineNo, err)
		}
		switch {
		case r.Prediction != nil:
			a.pending = append(a.pending, *r.Prediction)
			if r.Prediction.AsOf.After(a.latest[r.Prediction.Key]) {
				a.latest[r.Prediction.Key] = r.Prediction.AsOf
			}
		case r.Check != nil:
			a.checks = append(a.checks, *r.Check)
			a.remove(r.Check.Key, r.Check.AsOf)
		case r.Drop != nil:
			a.dropped++
			a.remove(r.Drop.Key, r.Drop.AsOf)
		}
	}
	if good < int64(len(b)) || a.checked > 1000 && a.checked > len(a.pending) {
		if err := a.rewrite(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *Accuracy) remove(key string, asOf time.Time) {
	a.pending = slices.DeleteFunc(a.pending, func(p StoredPrediction) bool { return p.Key == key && p.AsOf.Equal(asOf) })
	a.checked++
}

// rewrite writes the store anew: the pending predictions and the checks.
func (a *Accuracy) rewrite() error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range a.checks {
		_ = enc.Encode(accuracyRecord{Check: &a.checks[i]})
	}
	for i := range a.pending {
		_ = enc.Encode(accuracyRecord{Prediction: &a.pending[i]})
	}
	if err := writeFileAtomic(a.path, buf.Bytes()); err != nil {
		return fmt.Errorf("cannot rewrite the prediction store: %w", err)
	}
	a.checked = 0
	return nil
}

func (a *Accuracy) append(recs []accuracyRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the prediction store: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("cannot append to the prediction store %s: %w", a.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot sync the prediction store %s: %w", a.path, err)
	}
	return f.Close()
}

// Update checks the pending predictions that are due at now against rep's
// histories, stores rep's new predictions (those with a time to
// exhaustion within horizon, the job's, at most one per target per
// spacing) and returns the checks
// made. A due prediction whose target is missing from rep, or whose
// history does not cover it, waits for a later run until twice its
// horizon has passed, then is dropped (counted in Dropped).
func (a *Accuracy) Update(rep *engine.Report, horizon time.Duration, now time.Time) ([]Check, error) {
	if horizon <= 0 {
		horizon = 7 * 24 * time.Hour
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	byKey := make(map[string]*engine.Result, len(rep.Results))
	for i := range rep.Results {
		byKey[TargetKey(rep.Results[i])] = &rep.Results[i]
	}
	var recs []accuracyRecord
	var made []Check
	keep := a.pending[:0:0]
	for _, p := range a.pending {
		if now.Before(p.Due()) {
			keep = append(keep, p)
			continue
		}
		if r := byKey[p.Key]; r != nil {
			if c, ok := CheckPrediction(p, r.History); ok {
				made = append(made, c)
				recs = append(recs, accuracyRecord{Check: &c})
				continue
			}
		}
		if now.Sub(p.AsOf) > 2*p.Horizon.duration() {
			a.dropped++
			recs = append(recs, accuracyRecord{Drop: &dropRecord{Key: p.Key, AsOf: p.AsOf}})
			continue
		}
		keep = append(keep, p)
	}
	var added []StoredPrediction
	for _, r := range rep.Results {
		if r.ETA == nil || r.ETA.P50 == nil && r.ETA.P10 == nil {
			continue
		}
		key := TargetKey(r)
		if last, ok := a.latest[key]; ok && rep.AsOf.Sub(last) < a.spacing {
			continue
		}
		p := StoredPrediction{
			Key: key, Target: r.Spec, Labels: r.Labels.Map(), AsOf: r.AsOf,
			Horizon: Seconds(horizon.Seconds()), Limit: r.Limit, Direction: r.Direction.String(),
			P10: secondsPtr(r.ETA.P10), P50: secondsPtr(r.ETA.P50), P90: secondsPtr(r.ETA.P90),
		}
		if p.AsOf.IsZero() {
			p.AsOf = rep.AsOf
		}
		if math.IsNaN(p.Limit) || math.IsInf(p.Limit, 0) {
			continue
		}
		added = append(added, p)
	}
	for i := range added {
		recs = append(recs, accuracyRecord{Prediction: &added[i]})
	}
	if err := a.append(recs); err != nil {
		return nil, err
	}
	a.checks = append(a.checks, made...)
	a.checked += len(recs) - len(added)
	for _, p := range added {
		a.latest[p.Key] = p.AsOf
	}
	a.pending = append(keep, added...)
	if a.checked > 1000 && a.checked > len(a.pending) {
		if err := a.rewrite(); err != nil {
			return made, err
		}
	}
	return made, nil
}

// Stats returns the pending predictions, the checks so far and the
// predictions dropped unchecked.
func (a *Accuracy) Stats() (pending int, checks []Check, dropped int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending), slices.Clone(a.checks), a.dropped
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed into place.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(path)
}

func dirOf(path string) string { return filepath.Dir(path) }
