package seriesio

import (
	"strconv"
	"strings"
)

// Millisecond timestamps with an absolute value of at least msThreshold
// are taken as Unix milliseconds, smaller ones as Unix seconds: 1e11
// seconds is in the year 5138, 1e11 milliseconds is in March 1973.
const msThreshold = 11 // digits of the integer part: |x| >= 1e11

// parseTimestamp parses a CSV timestamp into Unix milliseconds. It accepts
//
//   - RFC 3339 with or without fractional seconds and zone, with 'T', 't' or
//     a space between date and time ("2023-11-14T22:13:20.5+01:00",
//     "2023-11-14 22:13:20", "2023-11-14T22:13"); no zone means UTC;
//   - a date alone ("2023-11-14"), midnight UTC;
//   - a decimal number: Unix milliseconds when its absolute value is at
//     least 1e11, Unix seconds otherwise (fractions rounded to the nearest
//     millisecond).
func parseTimestamp(s string) (int64, bool) {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' && isDigits(s[:4]) {
		return parseDateTime(s)
	}
	if ms, ok := fastIntMillis(s); ok {
		if i := strings.IndexByte(s, '.'); i <= msThreshold && (i >= 0 || len(s) <= msThreshold) {
			return ms, true // at most 11 integer digits: seconds
		}
	}
	d, ok := scanDecimal(s)
	if !ok {
		return 0, false
	}
	if d.intDigits() > msThreshold {
		return d.scaled(0)
	}
	return d.scaled(3)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func atoi2(s string) (int, bool) {
	if len(s) < 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// parseDateTime parses YYYY-MM-DD[(T|t| )H[H]:MM[:SS[.fff…]]][Z|±HH:MM|±HHMM].
func parseDateTime(s string) (int64, bool) {
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	mo, ok1 := atoi2(s[5:7])
	d, ok2 := atoi2(s[8:10])
	if !ok1 || !ok2 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	ms := daysFromCivil(y, mo, d) * 86400000
	s = s[10:]
	if len(s) == 0 {
		return ms, true
	}
	if s[0] != 'T' && s[0] != 't' && s[0] != ' ' {
		return 0, false
	}
	if len(s) >= 5 && s[2] == ':' && s[1] >= '0' && s[1] <= '9' {
		s = "0" + s[1:] // a one-digit hour, as spreadsheets write and time.Parse accepts
	} else {
		s = s[1:]
	}
	if len(s) < 5 || s[2] != ':' {
		return 0, false
	}
	h, ok1 := atoi2(s[0:2])
	mi, ok2 := atoi2(s[3:5])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return 0, false
	}
	ms += int64(h)*3600000 + int64(mi)*60000
	s = s[5:]
	if len(s) >= 3 && s[0] == ':' {
		sec, ok := atoi2(s[1:3])
		if !ok || sec > 59 {
			return 0, false
		}
		ms += int64(sec) * 1000
		s = s[3:]
		if len(s) >= 2 && (s[0] == '.' || s[0] == ',') && s[1] >= '0' && s[1] <= '9' {
			i := 1
			frac, mul := int64(0), int64(100)
			for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
				switch {
				case i <= 3:
					frac += int64(s[i]-'0') * mul
					mul /= 10
				case i == 4 && s[i] >= '5':
					frac++ // round half up to the millisecond
				}
			}
			ms += frac
			s = s[i:]
		}
	}
	switch {
	case len(s) == 0:
		return ms, true
	case len(s) == 1 && (s[0] == 'Z' || s[0] == 'z'):
		return ms, true
	case len(s) >= 3 && (s[0] == '+' || s[0] == '-'):
		oh, ok := atoi2(s[1:3])
		if !ok || oh > 23 {
			return 0, false
		}
		rest := s[3:]
		if len(rest) > 0 && rest[0] == ':' {
			rest = rest[1:]
		}
		om := 0
		if len(rest) > 0 {
			var ok bool
			om, ok = atoi2(rest)
			if !ok || len(rest) != 2 || om > 59 {
				return 0, false
			}
		}
		off := int64(oh)*3600000 + int64(om)*60000
		if s[0] == '-' {
			off = -off
		}
		return ms - off, true
	}
	return 0, false
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// appendTimestamp appends a CSV timestamp that parseTimestamp reads back
// exactly: RFC 3339 in UTC with milliseconds only when they are not zero
// ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.5Z") for the years 0000 to
// 9999, and the integer Unix milliseconds outside them (whose absolute value
// is then far above the 1e11 seconds/milliseconds threshold).
func appendTimestamp(b []byte, ms int64) []byte {
	const (
		minMs = -62167219200000 // 0000-01-01T00:00:00Z
		maxMs = 253402300799999 // 9999-12-31T23:59:59.999Z
	)
	if ms < minMs || ms > maxMs {
		return strconv.AppendInt(b, ms, 10)
	}
	days := ms / 86400000
	rem := ms % 86400000
	if rem < 0 {
		days--
		rem += 86400000
	}
	y, m, d := civilFromDays(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(rem/3600000))
	b = append(b, ':')
	b = append2(b, int(rem/60000%60))
	b = append(b, ':')
	b = append2(b, int(rem/1000%60))
	if frac := rem % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100))
		if frac%100 != 0 {
			b = append(b, byte('0'+frac/10%10))
			if frac%10 != 0 {
				b = append(b, byte('0'+frac%10))
			}
		}
	}
	return append(b, 'Z')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// civilFromDays is the inverse of daysFromCivil (Howard Hinnant's
// civil_from_days).
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// ParseTimestamp reads a timestamp as ReadCSV does — RFC 3339, Unix seconds
// or milliseconds, or "YYYY-MM-DD HH:MM:SS" as UTC — and returns it in Unix
// milliseconds; ok is false when s is none of those.
func ParseTimestamp(s string) (ms int64, ok bool) { return parseTimestamp(s) }
