package samtemplate

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Dimension names and the combinations the functions publish their EMF
// metrics under (pkg/telemetry): an alarm on any other combination
// watches a metric that never receives data.
var publishedDimensionSets = [][]string{
	{"function"},
	{"function", "outcome"},
	{"function", "outcome", "reason"},
}

// alwaysPublished are written on every decision line by pkg/invoke.
var alwaysPublished = []string{"Invocations", "DurationMs"}

// FunctionCode is what a function's code can publish: the name it gives
// invoke.LoadOptions (the "function" dimension) and every string literal
// in its package graph (metric names, outcomes, reasons are literals).
type FunctionCode struct {
	Package  string
	Name     string
	Literals map[string]bool
}

var (
	loadOptionsName = regexp.MustCompile(`LoadOptions\(\s*\w+\s*,\s*"([A-Za-z0-9_-]+)"`)
	stringLiteral   = regexp.MustCompile(`"([A-Za-z0-9_]+)"`)
)

// ScanFunctionCode reads the function package pkg and its dependencies in
// this module (PackageFiles).
func ScanFunctionCode(ctx context.Context, root, pkg string) (FunctionCode, error) {
	files, err := PackageFiles(ctx, root, pkg)
	if err != nil {
		return FunctionCode{}, err
	}
	code := FunctionCode{Package: pkg, Literals: map[string]bool{}}
	mainDir := strings.TrimPrefix(pkg, "./")
	for _, f := range files {
		if strings.HasSuffix(f.ImportPath, "/"+mainDir) {
			if m := loadOptionsName.FindSubmatch(f.Source); m != nil {
				code.Name = string(m[1])
			}
		}
		for _, m := range stringLiteral.FindAllSubmatch(f.Source, -1) {
			code.Literals[string(m[1])] = true
		}
	}
	if code.Name == "" {
		return code, fmt.Errorf("%s: no invoke.LoadOptions(env, \"<name>\", ...) call found", pkg)
	}
	return code, nil
}

// metricRef is one metric an alarm watches.
type metricRef struct {
	namespace any
	name      any
	dims      map[string]any
}

func alarmMetrics(props map[string]any) []metricRef {
	var out []metricRef
	if _, ok := props["MetricName"]; ok {
		out = append(out, metricRef{props["Namespace"], props["MetricName"], dimensionMap(props["Dimensions"])})
	}
	metrics, _ := props["Metrics"].([]any)
	for _, m := range metrics {
		stat := asMap(asMap(asMap(m)["MetricStat"])["Metric"])
		if stat != nil {
			out = append(out, metricRef{stat["Namespace"], stat["MetricName"], dimensionMap(stat["Dimensions"])})
		}
	}
	return out
}

func dimensionMap(v any) map[string]any {
	dims := map[string]any{}
	list, _ := v.([]any)
	for _, d := range list {
		if name, ok := asMap(d)["Name"].(string); ok {
			dims[name] = asMap(d)["Value"]
		}
	}
	return dims
}

// CheckAlarmMetrics checks that every alarm watches a metric that exists:
// on AWS/Lambda, a FunctionName of a function in this template (under the
// same Condition); on the suite's own namespace (the MetricsNamespace
// parameter the functions get as METRICS_NAMESPACE), a function name some
// function passes to invoke.LoadOptions, a dimension combination the
// functions publish, and a metric name, outcome and reason that appear in
// that function's code. code is keyed by function name ("presignup").
// A misspelt name is valid CloudWatch: the alarm just never fires.
func CheckAlarmMetrics(t *Template, code map[string]FunctionCode) []Problem {
	const check = "alarm"
	var ps problems
	nsVar := asMap(t.EnvVars(firstOr(t.Functions(), "")))["METRICS_NAMESPACE"]
	for _, alarm := range t.OfType("AWS::CloudWatch::Alarm") {
		for _, m := range alarmMetrics(t.Props(alarm)) {
			switch {
			case m.namespace == "AWS/Lambda":
				fn, ok := refOf(m.dims["FunctionName"])
				if !ok || t.Type(fn) != TypeFunction {
					ps.add(check, alarm, "AWS/Lambda FunctionName is %s; want !Ref of a function in this template", describeOrMissing(m.dims["FunctionName"]))
				} else if t.Condition(fn) != t.Condition(alarm) {
					ps.add(check, alarm, "has Condition %q, its function %s %q", t.Condition(alarm), fn, t.Condition(fn))
				}
			case nsVar != nil && describe(m.namespace) == describe(nsVar):
				checkSuiteMetric(&ps, alarm, m, code)
			}
		}
	}
	return ps
}

func checkSuiteMetric(ps *problems, alarm string, m metricRef, code map[string]FunctionCode) {
	const check = "alarm"
	names := sortedKeys(m.dims)
	if !slices.ContainsFunc(publishedDimensionSets, func(set []string) bool {
		return slices.Equal(set, sortedCopy(names))
	}) {
		ps.add(check, alarm, "dimensions %v are not a set the functions publish (%v)", names, publishedDimensionSets)
		return
	}
	fname, _ := m.dims["function"].(string)
	fc, ok := code[fname]
	if !ok {
		ps.add(check, alarm, "function dimension %q is no function's name (known: %v)", fname, sortedKeys(code))
		return
	}
	if metric, _ := m.name.(string); !slices.Contains(alwaysPublished, metric) && !fc.Literals[metric] {
		ps.add(check, alarm, "metric %q never appears in %s's code", metric, fc.Package)
	}
	for _, dim := range []string{"outcome", "reason"} {
		if v, ok := m.dims[dim]; ok {
			if s, _ := v.(string); !fc.Literals[s] {
				ps.add(check, alarm, "%s %s never appears in %s's code", dim, describe(v), fc.Package)
			}
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}
