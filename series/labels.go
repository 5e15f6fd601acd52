package series

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// MetricName is the label that holds a Prometheus metric name.
const MetricName = "__name__"

// Label is one name/value pair of a label set.
type Label struct {
	Name, Value string
}

// Labels is a label set sorted by name with unique names. Build one with
// FromMap or New; the zero value is the empty set.
type Labels []Label

// New returns the label set of the given name/value pairs, sorted by name.
// It panics when given an odd number of strings, which is a programmer error.
// A later duplicate name overrides an earlier one.
func New(nameValues ...string) Labels {
	if len(nameValues)%2 != 0 {
		panic("series.New: odd number of strings")
	}
	m := make(map[string]string, len(nameValues)/2)
	for i := 0; i < len(nameValues); i += 2 {
		m[nameValues[i]] = nameValues[i+1]
	}
	return FromMap(m)
}

// FromMap returns the label set of m sorted by name. Empty values are
// dropped, as Prometheus treats an empty label value as an absent label.
func FromMap(m map[string]string) Labels {
	ls := make(Labels, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] == "" {
			continue
		}
		ls = append(ls, Label{Name: k, Value: m[k]})
	}
	return ls
}

// Map returns the label set as a new map.
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// Get returns the value of the named label, or "" when it is absent.
func (ls Labels) Get(name string) string {
	i, ok := slices.BinarySearchFunc(ls, name, func(l Label, n string) int { return strings.Compare(l.Name, n) })
	if !ok {
		return ""
	}
	return ls[i].Value
}

// Has reports whether the named label is present.
func (ls Labels) Has(name string) bool {
	_, ok := slices.BinarySearchFunc(ls, name, func(l Label, n string) int { return strings.Compare(l.Name, n) })
	return ok
}

// Name returns the metric name (the __name__ label), or "".
func (ls Labels) Name() string { return ls.Get(MetricName) }

// With returns a copy of ls with the named label set to value; an empty
// value removes the label. ls is not modified.
func (ls Labels) With(name, value string) Labels {
	out := make(Labels, 0, len(ls)+1)
	done := false
	for _, l := range ls {
		if !done && l.Name >= name {
			if value != "" {
				out = append(out, Label{Name: name, Value: value})
			}
			done = true
			if l.Name == name {
				continue
			}
		}
		out = append(out, l)
	}
	if !done && value != "" {
		out = append(out, Label{Name: name, Value: value})
	}
	return out
}

// Without returns a copy of ls without the named labels.
func (ls Labels) Without(names ...string) Labels {
	out := make(Labels, 0, len(ls))
	for _, l := range ls {
		if !slices.Contains(names, l.Name) {
			out = append(out, l)
		}
	}
	return out
}

// Equal reports whether two label sets hold the same pairs.
func (ls Labels) Equal(o Labels) bool { return slices.Equal(ls, o) }

// Compare orders label sets: by the first differing name, then value; a
// prefix sorts first. It returns -1, 0 or +1.
func (ls Labels) Compare(o Labels) int {
	for i := 0; i < len(ls) && i < len(o); i++ {
		if c := strings.Compare(ls[i].Name, o[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(ls[i].Value, o[i].Value); c != 0 {
			return c
		}
	}
	switch {
	case len(ls) < len(o):
		return -1
	case len(ls) > len(o):
		return 1
	}
	return 0
}

// Fingerprint returns a stable 64-bit FNV-1a hash of the label set. Equal
// sets have equal fingerprints across processes and versions; it is meant
// for grouping and map keys, not for cryptographic use.
func (ls Labels) Fingerprint() uint64 {
	// FNV-1a, 64 bit (the same value as hash/fnv's New64a over name, 0xff,
	// value, 0xff for each label), written out so that it does not allocate.
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, l := range ls {
		for i := 0; i < len(l.Name); i++ {
			h = (h ^ uint64(l.Name[i])) * prime64
		}
		h = (h ^ 0xff) * prime64
		for i := 0; i < len(l.Value); i++ {
			h = (h ^ uint64(l.Value[i])) * prime64
		}
		h = (h ^ 0xff) * prime64
	}
	return h
}

// String formats the set in Prometheus notation, metric name first:
// name{a="1", b="2"}. Values are quoted with Go escaping, which matches
// the Prometheus text format for the characters it escapes.
func (ls Labels) String() string {
	var b strings.Builder
	name := ls.Name()
	b.WriteString(name)
	first := true
	for _, l := range ls {
		if l.Name == MetricName {
			continue
		}
		if first {
			b.WriteByte('{')
			first = false
		} else {
			b.WriteString(", ")
		}
		b.WriteString(l.Name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l.Value))
	}
	if !first {
		b.WriteByte('}')
	} else if name == "" {
		b.WriteString("{}")
	}
	return b.String()
}
