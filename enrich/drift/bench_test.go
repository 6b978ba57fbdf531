package drift

import (
	"encoding/json"
	"testing"
)

// BenchmarkCompare measures one declared-vs-live comparison of a Deployment.
func BenchmarkCompare(b *testing.B) {
	var d, l map[string]any
	json.Unmarshal([]byte(declaredDeploy), &d)
	json.Unmarshal([]byte(liveDeploy), &l)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(Compare(d, l)) != 0 {
			b.Fatal("unexpected drift")
		}
	}
}
