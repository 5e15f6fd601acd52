package series

import "fmt"

// Direction says which way a value runs out against its limit. Capacity
// predictions, forecast crossings and the job file all use this one type.
type Direction int

const (
	// Up means exhausted when the value reaches the limit from below
	// (value ≥ limit): memory working set against its limit, used bytes
	// against a size. It is the zero value.
	Up Direction = iota
	// Down means exhausted when the value falls to the limit from above
	// (value ≤ limit): available bytes against 0.
	Down
)

// String returns "up" or "down".
func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// ParseDirection parses "up" or "down".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "up":
		return Up, nil
	case "down":
		return Down, nil
	}
	return Up, fmt.Errorf("series: direction %q: want up or down", s)
}
