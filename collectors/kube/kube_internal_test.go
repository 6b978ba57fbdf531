package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// pages serves a list of n items in pages, expiring the continue token of
// the first `expire` list attempts at their second page, and failing the
// first `transient` requests with 503; the page starting at item
// `undecodable` (when > 0) cannot be decoded.
type pages struct {
	n, expire, transient int
	undecodable          int
	attempts, requests   int
}

func (p *pages) page(_ context.Context, opts metav1.ListOptions) (page, error) {
	p.requests++
	if p.transient > 0 {
		p.transient--
		return page{}, apierrors.NewServiceUnavailable("etcd leader changed")
	}
	start := 0
	if opts.Continue == "" {
		p.attempts++
	} else {
		if p.attempts <= p.expire {
			return page{}, apierrors.NewResourceExpired("The provided continue parameter is too old")
		}
		fmt.Sscan(opts.Continue, &start)
	}
	var items []map[string]any
	for i := start; i < start+int(opts.Limit) && i < p.n; i++ {
		items = append(items, map[string]any{"i": i, "attempt": p.attempts})
	}
	next := ""
	if start+int(opts.Limit) < p.n {
		next = fmt.Sprint(start + int(opts.Limit))
	}
	bad := p.undecodable > 0 && start == p.undecodable
	return page{next: next, decode: func() ([]map[string]any, error) {
		if bad {
			return nil, errors.New("decoding /api/v1/pods: unexpected end of JSON input")
		}
		return items, nil
	}}, nil
}

func TestPaginate(t *testing.T) {
	cases := []struct {
		name               string
		n, expire, transie int
		undecodable        int
		wantErr            string
		wantAttempts       int
		wantRequests       int
	}{
		{name: "one page", n: 2, wantAttempts: 1},
		{name: "many pages", n: 7, wantAttempts: 1},
		{name: "410 restarts the list", n: 7, expire: 1, wantAttempts: 2},
		{name: "410 three times", n: 7, expire: 3, wantAttempts: 4},
		{name: "410 forever", n: 7, expire: 100, wantErr: "continue token expired"},
		{name: "transient errors are retried", n: 5, transie: 2, wantAttempts: 1},
		{name: "too many transient errors", n: 5, transie: 50, wantErr: "etcd leader changed"},
		// Pages are decoded while the next is requested: a page that cannot
		// be decoded fails the list; at most three more are requested (one
		// queued, one being sent when the decoder fails).
		{name: "undecodable page", n: 30, undecodable: 3, wantErr: "unexpected end of JSON input", wantRequests: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &clusterScan{opts: Options{PageSize: 3, RequestTimeout: time.Second}, prog: newProgress(nil)}
			p := &pages{n: tc.n, expire: tc.expire, transient: tc.transie, undecodable: tc.undecodable}
			items, err := s.paginate(context.Background(), p.page)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if tc.wantRequests > 0 && p.requests > tc.wantRequests {
					t.Errorf("%d requests, want at most %d", p.requests, tc.wantRequests)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != tc.n {
				t.Fatalf("%d items, want %d (no duplicates from an aborted attempt)", len(items), tc.n)
			}
			for i, it := range items {
				if it["i"] != i || it["attempt"] != tc.wantAttempts {
					t.Errorf("item %d = %v, want from attempt %d", i, it, tc.wantAttempts)
				}
			}
		})
	}
}

func TestRetryStopsOnPermanentErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	for _, err := range []error{apierrors.NewForbidden(gr, "", errors.New("no")), apierrors.NewUnauthorized("no"), apierrors.NewNotFound(gr, "x")} {
		calls := 0
		got := retry(context.Background(), func(context.Context) error { calls++; return err })
		if calls != 1 || got != err {
			t.Errorf("%v: %d calls, returned %v", err, calls, got)
		}
	}
	// The scan's deadline ends retries.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := retry(ctx, func(context.Context) error { return apierrors.NewServiceUnavailable("x") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("retry past the deadline returned %v", err)
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for img, want := range map[string]string{
		"nginx":                  "Always",
		"nginx:latest":           "Always",
		"nginx:1.27":             "IfNotPresent",
		"nginx@sha256:abc":       "IfNotPresent",
		"nginx:latest@sha256:ab": "Always",
		"localhost:5000/app":     "Always",
		"localhost:5000/app:v1":  "IfNotPresent",
	} {
		if got := defaultPullPolicy(img); got != want {
			t.Errorf("%s: %s, want %s", img, got, want)
		}
	}
}
