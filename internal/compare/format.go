package compare

// FormatValue prints a figure of the given unit as compare.md does
// ("234.3 ms", "0.950", "100 % of runs pass"), for callers that show
// compare's rows elsewhere (the report's "against the baseline" table), so
// each unit has one format.
func FormatValue(v float64, unit string) string { return fmtNum(v, unit) }

// FormatDifference prints a signed difference of the given unit as
// compare.md's estimate column does ("+0.020", "−9.9 %").
func FormatDifference(d float64, unit string) string { return signed(d, unit) }
