package samtemplate

import (
	"slices"
)

// Published is what the functions publish under the suite's own
// namespace, as data taken from the code (see the template test): an alarm
// on anything else is valid CloudWatch that never fires.
type Published struct {
	// DimensionSets are the dimension combinations every metric is
	// published under (package telemetry's EMF directive).
	DimensionSets [][]string
	// Always are the metrics every function publishes on every decision
	// line (package invoke).
	Always []string
	// Metrics maps each function's name, the "function" dimension (the
	// name its main gives invoke.Main), to the metrics it publishes beyond
	// Always.
	Metrics map[string][]string
	// Outcomes and Reasons are the values of the "outcome" and "reason"
	// dimensions (package decision).
	Outcomes []string
	Reasons  []string
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
// parameter the functions get as METRICS_NAMESPACE), a function name, a
// dimension combination, a metric name, an outcome and a reason that pub
// says the functions publish. A misspelt name is valid CloudWatch: the
// alarm just never fires.
func CheckAlarmMetrics(t *Template, pub Published) []Problem {
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
				checkSuiteMetric(&ps, alarm, m, pub)
			}
		}
	}
	return ps
}

func checkSuiteMetric(ps *problems, alarm string, m metricRef, pub Published) {
	const check = "alarm"
	names := sortedKeys(m.dims)
	if !slices.ContainsFunc(pub.DimensionSets, func(set []string) bool {
		return slices.Equal(sortedCopy(set), names)
	}) {
		ps.add(check, alarm, "dimensions %v are not a set the functions publish (%v)", names, pub.DimensionSets)
		return
	}
	fname, _ := m.dims["function"].(string)
	metrics, ok := pub.Metrics[fname]
	if !ok {
		ps.add(check, alarm, "function dimension %s is no function's name (known: %v)", describe(m.dims["function"]), sortedKeys(pub.Metrics))
		return
	}
	if metric, _ := m.name.(string); !slices.Contains(pub.Always, metric) && !slices.Contains(metrics, metric) {
		ps.add(check, alarm, "metric %s is not one %s publishes (%v, %v)", describe(m.name), fname, pub.Always, metrics)
	}
	for _, dim := range []struct {
		name  string
		known []string
	}{{"outcome", pub.Outcomes}, {"reason", pub.Reasons}} {
		if v, ok := m.dims[dim.name]; ok {
			if s, _ := v.(string); !slices.Contains(dim.known, s) {
				ps.add(check, alarm, "%s %s is not one the functions give", dim.name, describe(v))
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
