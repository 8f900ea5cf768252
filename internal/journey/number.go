package journey

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// unitSeconds maps a duration unit to its length in seconds. Units shorter
// than a second are divided rather than multiplied so that "200ms" decodes to
// exactly 200.0/1000, the value FormatDuration prints as "200ms".
var unitSeconds = map[string]float64{
	"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
	"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400,
}

var unitDivisor = map[string]float64{"ns": 1e9, "us": 1e6, "µs": 1e6, "μs": 1e6, "ms": 1e3}

var (
	errSyntax = errors.New("syntax")
	errRange  = errors.New("out of range")
)

// ParseDuration decodes a Go/Prometheus duration ("200ms", "1.5s", "2h30m",
// "250µs", "1d") or a plain number of seconds ("0.2", "1e-07") into seconds.
// Components are summed; a leading minus negates the whole duration.
func ParseDuration(s string) (float64, error) {
	if v, err := parsePlain(s); err == nil || errors.Is(err, errRange) {
		return v, err
	}
	neg := strings.HasPrefix(s, "-")
	rest := strings.TrimPrefix(s, "-")
	if rest == "" {
		return 0, errSyntax
	}
	total := 0.0
	for rest != "" {
		num, unit, tail := splitComponent(rest)
		if num == "" || unit == "" {
			return 0, errSyntax
		}
		v, err := parsePlain(num)
		if err != nil {
			return 0, err
		}
		total += scaleUnit(v, unit)
		rest = tail
	}
	if math.IsInf(total, 0) {
		return 0, errRange
	}
	if neg {
		total = -total
	}
	return total, nil
}

// scaleUnit converts v units to seconds.
func scaleUnit(v float64, unit string) float64 {
	if d, ok := unitDivisor[unit]; ok {
		return v / d
	}
	return v * unitSeconds[unit]
}

// splitComponent splits "30m15s" into "30", "m" and "15s". unit is empty when
// the unit is missing or unknown.
func splitComponent(s string) (num, unit, tail string) {
	i := scanMantissa(s)
	num = s[:i]
	j := i
	for j < len(s) && !isDigit(s[j]) && s[j] != '.' {
		j++
	}
	if _, ok := unitSeconds[s[i:j]]; ok {
		unit = s[i:j]
	}
	return num, unit, s[j:]
}

// scanMantissa returns the length of the unsigned decimal number (with an
// optional exponent) at the start of s.
func scanMantissa(s string) int {
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// parsePlain decodes a decimal number without unit: an optional minus,
// digits with at most one dot, and an optional exponent. Hexadecimal forms,
// underscores, "Inf" and "NaN" are rejected.
func parsePlain(s string) (float64, error) {
	body := strings.TrimPrefix(s, "-")
	if body == "" || scanMantissa(body) != len(body) || !plainMantissa(body) {
		return 0, errSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errRange
	}
	return v, nil
}

// plainMantissa checks the part before any exponent: digits and at most one
// dot, with at least one digit.
func plainMantissa(s string) bool {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	return strings.Count(s, ".") <= 1 && strings.Trim(s, ".") != "" && strings.Trim(s, "0123456789.") == ""
}

// parseInt decodes a decimal integer with an optional minus sign.
func parseInt(s string) (int, error) {
	body := strings.TrimPrefix(s, "-")
	if body == "" || strings.Trim(body, "0123456789") != "" {
		return 0, errSyntax
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errRange
	}
	return int(v), nil
}
