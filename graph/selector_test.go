package graph

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// Label selectors as Kubernetes evaluates them, and what kscan does with
// the forms the API server would reject (they reach kscan in manifests).
func TestSelectors(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front", "empty": ""}
	cases := []struct {
		name, sel string // YAML; map: Service-style selector
		mapStyle  bool
		want      bool
	}{
		{"map: equal", "{app: web}", true, true},
		{"map: two equal", "{app: web, tier: front}", true, true},
		{"map: one differs", "{app: web, tier: back}", true, false},
		{"map: missing label", "{zone: a}", true, false},
		{"map: empty selects nothing", "{}", true, false},
		{"map: null selects nothing", "null", true, false},
		{"map: non-string value selects nothing", "{app: 1}", true, false},
		{"map: empty value", "{empty: ''}", true, true},
		{"map: invalid key compared as written", "{'bad key': x}", true, false},

		{"empty selects everything", "{}", false, true},
		{"null selects nothing", "null", false, false},
		{"not a mapping selects nothing", "[app]", false, false},
		{"matchLabels equal", "{matchLabels: {app: web}}", false, true},
		{"matchLabels differ", "{matchLabels: {app: api}}", false, false},
		{"matchLabels empty", "{matchLabels: {}}", false, true},
		{"matchLabels non-string value is the empty string", "{matchLabels: {empty: 1}}", false, true},
		{"matchLabels non-string value, label set", "{matchLabels: {app: 1}}", false, false},
		{"In", "{matchExpressions: [{key: tier, operator: In, values: [back, front]}]}", false, true},
		{"In, no value matches", "{matchExpressions: [{key: tier, operator: In, values: [back]}]}", false, false},
		{"In, label missing", "{matchExpressions: [{key: zone, operator: In, values: [a]}]}", false, false},
		{"NotIn", "{matchExpressions: [{key: tier, operator: NotIn, values: [back]}]}", false, true},
		{"NotIn, value listed", "{matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}", false, false},
		{"NotIn, label missing", "{matchExpressions: [{key: zone, operator: NotIn, values: [a]}]}", false, true},
		{"Exists", "{matchExpressions: [{key: app, operator: Exists}]}", false, true},
		{"Exists, missing", "{matchExpressions: [{key: zone, operator: Exists}]}", false, false},
		{"DoesNotExist", "{matchExpressions: [{key: zone, operator: DoesNotExist}]}", false, true},
		{"DoesNotExist, present", "{matchExpressions: [{key: app, operator: DoesNotExist}]}", false, false},
		{"labels and expressions ANDed", "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [back]}]}", false, false},
		{"two expressions ANDed", "{matchExpressions: [{key: app, operator: Exists}, {key: tier, operator: NotIn, values: [front]}]}", false, false},
		// Forms the API server rejects.
		{"unknown operator selects nothing", "{matchExpressions: [{key: app, operator: Equals, values: [web]}]}", false, false},
		{"lower-case operator selects nothing", "{matchExpressions: [{key: app, operator: in, values: [web]}]}", false, false},
		{"expression not a mapping selects nothing", "{matchExpressions: [app]}", false, false},
		{"In without values selects nothing", "{matchExpressions: [{key: app, operator: In}]}", false, false},
		{"NotIn without values excludes nothing", "{matchExpressions: [{key: app, operator: NotIn}]}", false, true},
		{"Exists with values ignores them", "{matchExpressions: [{key: app, operator: Exists, values: [api]}]}", false, true},
		{"DoesNotExist with values ignores them", "{matchExpressions: [{key: zone, operator: DoesNotExist, values: [a]}]}", false, true},
		{"invalid key in an expression selects nothing", "{matchExpressions: [{key: 'bad key', operator: DoesNotExist}]}", false, false},
		{"invalid value in an expression selects nothing", "{matchExpressions: [{key: app, operator: NotIn, values: ['no spaces']}]}", false, false},
		{"non-string values are left out", "{matchExpressions: [{key: tier, operator: In, values: [1, front]}]}", false, true},
	}
	if !(Selector{}).Matches(labels) {
		t.Error("the zero Selector selects nothing, want everything")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v any
			if err := yaml.Unmarshal([]byte(c.sel), &v); err != nil {
				t.Fatal(err)
			}
			var s Selector
			if c.mapStyle {
				m, _ := v.(map[string]any)
				s = MapSelector(m)
			} else {
				s = LabelSelector(v)
			}
			if got := s.Matches(labels); got != c.want {
				t.Errorf("%s matches %v: %v, want %v", c.sel, labels, got, c.want)
			}
		})
	}
}
