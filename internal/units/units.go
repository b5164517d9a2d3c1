// Package units writes the suite's figures for people: milliseconds and
// percentages, each in two forms, prose (verdict lines, logs, tolerances:
// "812 ms", "80 %") and fixed (table columns, whose figures then line up
// and diff well: "812.0 ms", "80.0 %"). Every figure of these units that
// the suite prints goes through here, so one figure reads the same in the
// log, the report and metrics.json's details. A negative figure carries
// the ASCII minus "-", which spreadsheets and grep read as a number.
package units

import (
	"fmt"
	"math"
	"strconv"
)

// Percent writes a fraction as a percentage for prose: at most one
// decimal, "80 %", "12.5 %", "-2 %".
func Percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + " %"
}

// PercentFixed writes a fraction with one decimal always, "80.0 %", for
// table columns.
func PercentFixed(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) }

// SignedPercent is Percent with the sign of a change always shown:
// "+4.3 %", "-2 %", "+0 %".
func SignedPercent(f float64) string { return Signed(f, Percent) }

// SignedPercentFixed is PercentFixed with the sign always shown:
// "+4.3 %", "-2.0 %".
func SignedPercentFixed(f float64) string { return Signed(f, PercentFixed) }

// Signed writes a change with its sign always shown, the magnitude in
// the given format: Signed(-12.5, MsFixed) is "-12.5 ms".
func Signed(f float64, format func(float64) string) string { return sign(f) + format(math.Abs(f)) }

// Ms writes a duration in milliseconds for prose, with the precision its
// size deserves: "0.42 ms", "9.5 ms", "141 ms", "2.35 s".
func Ms(ms float64) string {
	switch a := math.Abs(ms); {
	case a >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case a >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	case a >= 1:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// MsFixed writes a duration in milliseconds with one decimal always,
// "812.0 ms", for table columns.
func MsFixed(ms float64) string { return fmt.Sprintf("%.1f ms", ms) }

// sign is "-" for a negative figure (one that rounds to zero included, so
// "-0 %" shows a small fall), "+" otherwise.
func sign(f float64) string {
	if f < 0 {
		return "-"
	}
	return "+"
}

// Seconds writes a duration in seconds with one decimal, "12.5 s".
func Seconds(s float64) string { return fmt.Sprintf("%.1f s", s) }

// TokensPerS writes a token rate with one decimal, "41.3 tok/s".
func TokensPerS(v float64) string { return fmt.Sprintf("%.1f tok/s", v) }

// MiB writes a memory size in whole mebibytes, "812 MiB".
func MiB(v float64) string { return fmt.Sprintf("%.0f MiB", v) }

// ReqPerS is a request rate to three significant digits: "32 req/s",
// "10.5 req/s", "0.125 req/s"; "1234 req/s" from 1000 up.
func ReqPerS(r float64) string {
	if r >= 1000 {
		return fmt.Sprintf("%.0f req/s", r)
	}
	return fmt.Sprintf("%.3g req/s", r)
}
