package main

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParseConfig: a config file is attacker-written when it comes from a
// repository; whatever its bytes, parsing ends in values or an error, never
// a panic, and never accepts an alias (the way a small file becomes a
// large value). go test runs the seeds; make fuzz runs it longer.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"fail-on: critical\n",
		"format: sarif\nhelm-values: [a.yaml, b.yaml]\n",
		"kubeconfig: kc\nskip-rules: ['*']\n",
		"a: &a [x, x]\nb: [*a, *a]\n",
		"output: ../../etc/passwd\n",
		"? [a]\n: b\n",
		"- a\n- b\n",
		"x: !!binary aGVsbG8=\n",
		"{",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values := map[string]any{}
		err := parseConfig(data, &values)
		if err != nil {
			return
		}
		if aliasIn(data) {
			t.Errorf("a config with an alias was accepted: %q", data)
		}
		for _, v := range values {
			_ = configValue(v)
		}
	})
}

// aliasIn finds alias nodes independently of parseConfig's own check.
func aliasIn(data []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return false
	}
	stack := []*yaml.Node{&root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			return true
		}
		stack = append(stack, n.Content...)
	}
	return false
}
