package kube

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeSeeds are pages decodeList must read exactly as encoding/json.
var decodeSeeds = []string{
	`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"eyJ2Ijo"},"items":[{"metadata":{"name":"a","labels":{"app":"x"}},"spec":{"replicas":2,"f":1.5e3,"n":-0.25,"b":true,"c":false,"z":null,"l":[1,"two",[],{}]}}]}`,
	`{"items":[],"metadata":{}}`,
	`{"items":null}`,
	`{"items":[null,{}]}`,
	`null`,
	`{}`,
	` { "metadata" : { "continue" : null } , "items" : [ { "a" : "b" } ] } `,
	`{"Items":[{"k":"v"}],"METADATA":{"Continue":"c"}}`,
	`{"items":[{"k":"v"}],"items":[{"j":"w"}]}`,
	`{"metadata":{"continue":"a"},"metadata":{}}`,
	`{"items":[{"esc":"a\"b\\c\u00e9\ud83d\ude00\n","utf8":"héllo","dup":1,"dup":2}]}`,
	`{"items":[{"esc":"\"\\\/\b\f\n\r\t x"}]}`,
	`{"items":[{"bad":"\q"}]}`,
	`{"items":[{"end":"abc\`,
	`{"items":[{"esc":"k:{\"name\":\"app\"}é"}]}`,
	`{"items":[{"metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},"managedFields":1}]}`,
	`{"items":[{"metadata":{"managedFields":[1e999]}}]}`,
	`{"items":[{"metadata":{"managedFields":[}}]}`,
	`{"items":[{"metadata":null},{"metadata":"x"},{"metadata":{"managedFields":null}}]}`,
	`{"items":[{"bad":"\ud800"}]}`,
	"{\"items\":[{\"raw\":\"\xff\xfe\"}]}",
	`{"items":[{"big":1e400}]}`,
	`{"items":[{"lead":01}]}`,
	`{"items":[{"x":1.}]}`,
	`{"items":[{"x":-}]}`,
	`{"items":[{"x":tru}]}`,
	`{"items":[{"x":1,}]}`,
	`{"items":[1]}`,
	`{"items":{}}`,
	`{"items":[{"x":"a` + "\x01" + `"}]}`,
	`{"items":[]} x`,
	`{"items":[{"k":"` + strings.Repeat("long", 30) + `"}]}`,
	`[1,2]`,
	``,
}

func checkDecode(t *testing.T, page string) {
	want, wantErr := decodeListStd([]byte(page))
	cont, items, err := decodeList([]byte(page), map[string]string{}, false)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json: %v", page, err, wantErr)
	}
	if wantErr != nil {
		return
	}
	if cont != want.Metadata.Continue || !reflect.DeepEqual(items, want.Items) {
		t.Fatalf("%q:\n got %q %#v\nwant %q %#v", page, cont, items, want.Metadata.Continue, want.Items)
	}
	c, err := listContinue([]byte(page))
	if err != nil || c != want.Metadata.Continue {
		t.Fatalf("%q: listContinue %q, %v; want %q", page, c, err, want.Metadata.Continue)
	}
	// Without managedFields: the same but for them.
	_, items, err = decodeList([]byte(page), map[string]string{}, true)
	if err != nil {
		t.Fatalf("%q: without managedFields: %v", page, err)
	}
	for _, it := range want.Items {
		if m, ok := it["metadata"].(map[string]any); ok {
			delete(m, "managedFields")
		}
	}
	if !reflect.DeepEqual(items, want.Items) {
		t.Fatalf("%q: without managedFields:\n got %#v\nwant %#v", page, items, want.Items)
	}
}

func TestDecodeList(t *testing.T) {
	for _, p := range decodeSeeds {
		checkDecode(t, p)
	}
	deep := `{"items":[{"d":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}]}`
	checkDecode(t, deep)
}

// The strings of one type's pages are shared across pages.
func TestDecodeListShares(t *testing.T) {
	strs := map[string]string{}
	_, a, err := decodeList([]byte(`{"items":[{"app":"web"}]}`), strs, false)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := decodeList([]byte(`{"items":[{"app":"web"}]}`), strs, false)
	if err != nil {
		t.Fatal(err)
	}
	x, y := a[0]["app"].(string), b[0]["app"].(string)
	if x != "web" || y != "web" {
		t.Fatalf("got %q %q", x, y)
	}
	if _, ok := strs["web"]; !ok || len(strs) != 3 {
		t.Errorf("shared strings %v, want items, app and web", strs)
	}
}

func FuzzDecodeList(f *testing.F) {
	for _, p := range decodeSeeds {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, page string) { checkDecode(t, page) })
}

// benchPage is a page of n Pods like the live benchmark's.
func benchPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"20329","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjAzMjl9"},"items":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metadata":{"name":"o%d","namespace":"bench-%d","uid":"f3a7b527-bfd1-42ef-8230-%012d","resourceVersion":"%d","generation":1,"creationTimestamp":"2026-12-03T13:22:59Z","labels":{"app":"bench"},"managedFields":[{"manager":"kube.test","operation":"Update","apiVersion":"v1","time":"2026-12-03T13:22:59Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{}}}}}}]},"spec":{"containers":[{"name":"app","image":"ghcr.io/acme/app:1.0","ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"MODE","value":"bench"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"BestEffort"}}`, i, i%50, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func TestDecodeBenchPage(t *testing.T) { checkDecode(t, string(benchPage(50))) }

func BenchmarkDecodeList(b *testing.B) {
	page := benchPage(500)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var l struct {
				Metadata struct {
					Continue string `json:"continue"`
				} `json:"metadata"`
				Items []map[string]any `json:"items"`
			}
			if err := json.Unmarshal(page, &l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeList", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, _, err := decodeList(page, map[string]string{}, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
