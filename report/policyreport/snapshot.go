package policyreport

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/graph"
)

// The graph of the last run is stored in a ConfigMap so that the next run
// can tell what changed (RBAC drift). The encoding is pluggable: a snapshot
// package hands its own SnapshotFunc; the default is DefaultSnapshot.
const (
	SnapshotConfigMap = "kscan-snapshot"
	SnapshotKey       = "graph.json.gz"
	// AnnotationFormat names the encoding of SnapshotKey.
	AnnotationFormat = "kscan.io/snapshot-format"
	// DefaultFormat: gzip of a JSON array of graph.Node (key, id, type,
	// object, source, attrs) of one cluster, sorted by key.
	DefaultFormat = "kscan.io/graph-nodes+json+gzip;v=1"
	// maxSnapshot keeps the ConfigMap under the API server's 1 MiB object
	// limit with room for metadata.
	maxSnapshot = 1000 << 10
)

// SnapshotFunc encodes a graph for storage and names the encoding.
type SnapshotFunc func(g *graph.Graph, cluster string) (data []byte, format string, err error)

// DefaultSnapshot is gzip JSON of the cluster's nodes. Secrets are in the
// graph as metadata only, so the snapshot holds no Secret data.
func DefaultSnapshot(g *graph.Graph, cluster string) ([]byte, string, error) {
	var nodes []*graph.Node
	for _, n := range g.Nodes() {
		if n.Source.Cluster == cluster && (n.Source.Kind == graph.SourceCluster || n.Source.Kind == graph.SourceDerived) {
			nodes = append(nodes, n)
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(nodes); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), DefaultFormat, nil
}

// ErrSnapshotTooLarge is returned when the encoded graph does not fit in a
// ConfigMap; the scan's reports are still written.
type ErrSnapshotTooLarge struct{ Size int }

func (e ErrSnapshotTooLarge) Error() string {
	return fmt.Sprintf("graph snapshot is %d bytes compressed, over the %d bytes a ConfigMap can hold; not stored", e.Size, maxSnapshot)
}

// WriteSnapshot stores the encoded graph in ConfigMap kscan-snapshot of
// namespace ns (server-side apply).
func WriteSnapshot(ctx context.Context, cfg *rest.Config, ns string, data []byte, format string) error {
	if len(data) > maxSnapshot {
		return ErrSnapshotTooLarge{len(data)}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":        SnapshotConfigMap,
			"namespace":   ns,
			"labels":      map[string]any{LabelManagedBy: ManagedBy},
			"annotations": map[string]any{AnnotationFormat: format},
		},
		"binaryData": map[string]any{SnapshotKey: base64.StdEncoding.EncodeToString(data)},
	}}
	_, err = dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(ns).
		Apply(ctx, SnapshotConfigMap, cm, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("storing graph snapshot in ConfigMap %s/%s: %w", ns, SnapshotConfigMap, err)
	}
	return nil
}

// ReadSnapshot returns the stored snapshot and its format (nil when none).
func ReadSnapshot(ctx context.Context, cfg *rest.Config, ns string) ([]byte, string, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	cm, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(ns).Get(ctx, SnapshotConfigMap, metav1.GetOptions{})
	if err != nil {
		return nil, "", err
	}
	enc, _, _ := unstructured.NestedString(cm.Object, "binaryData", SnapshotKey)
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, "", err
	}
	return data, cm.GetAnnotations()[AnnotationFormat], nil
}
