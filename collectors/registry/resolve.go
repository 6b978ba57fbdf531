package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kscan-io/kscan/graph"
)

// Defaults of ResolverOptions.
const (
	DefaultConcurrency = 16
	DefaultCallTimeout = 30 * time.Second
	DefaultRetries     = 3
	// maxRetryAfter caps how long one Retry-After makes us wait: a registry
	// asking for minutes is reported as rate limited instead.
	maxRetryAfter = 30 * time.Second
)

// ResolverOptions configures a Resolver.
type ResolverOptions struct {
	Keychain    authn.Keychain // nil: anonymous
	Concurrency int            // requests in flight at once
	CallTimeout time.Duration  // bound on resolving one image (all its requests)
	Retries     int            // retries of 429/502/503/504 and connection resets
	// Transport is the base HTTP transport (tests use it to dial a local
	// server); nil means a fresh transport with dial and TLS timeouts.
	Transport http.RoundTripper
	UserAgent string
}

// Result is what a registry said about one reference.
type Result struct {
	Ref       string // normalised reference
	Registry  string
	Status    string // graph.Image* (ImageResolved…)
	Digest    string
	MediaType string
	Created   time.Time
	Platforms []string
	Err       error // set when Status is error or not-found
}

// Resolver resolves references with a cache shared by the whole scan:
// each reference is resolved once, each config read once per digest.
type Resolver struct {
	opts   ResolverOptions
	puller *remote.Puller
	sem    chan struct{}

	mu      sync.Mutex
	refs    map[string]*entry
	configs map[string]*configEntry
	// down remembers registries that cannot be reached at all, so the other
	// images in them fail fast instead of each waiting for a time-out.
	down map[string]error
}

type entry struct {
	once sync.Once
	res  Result
}

type configEntry struct {
	once      sync.Once
	created   time.Time
	platforms []string
	err       error
}

// NewResolver returns a Resolver; it makes no request until Resolve.
func NewResolver(opts ResolverOptions) (*Resolver, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	base := opts.Transport
	if base == nil {
		base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   opts.Concurrency,
			ForceAttemptHTTP2:     true,
		}
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.NewMultiKeychain() // anonymous
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "kscan"
	}
	// Retries are ours (Retry-After aware); go-containerregistry's own retry
	// is switched off so the two do not multiply.
	p, err := remote.NewPuller(
		remote.WithTransport(&retryTransport{base: base, retries: opts.Retries}),
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent(ua),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryStatusCodes(),
		remote.WithJobs(opts.Concurrency),
	)
	if err != nil {
		return nil, err
	}
	return &Resolver{
		opts: opts, puller: p, sem: make(chan struct{}, opts.Concurrency),
		refs: map[string]*entry{}, configs: map[string]*configEntry{}, down: map[string]error{},
	}, nil
}

// ResolveAll resolves refs concurrently (bounded) and returns results in
// the order of refs.
func (r *Resolver) ResolveAll(ctx context.Context, refs []string) []Result {
	out := make([]Result, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.Resolve(ctx, ref)
		}()
	}
	wg.Wait()
	return out
}

// Resolve resolves one normalised reference (<host>/<repo>:<tag> or
// @<digest>), from the cache when it was asked before.
func (r *Resolver) Resolve(ctx context.Context, ref string) Result {
	r.mu.Lock()
	e, ok := r.refs[ref]
	if !ok {
		e = &entry{}
		r.refs[ref] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.res = r.resolve(ctx, ref) })
	return e.res
}

func (r *Resolver) resolve(ctx context.Context, s string) Result {
	res := Result{Ref: s}
	ref, err := name.ParseReference(s, name.WeakValidation)
	if err != nil {
		res.Status, res.Err = graph.ImageNotFound, fmt.Errorf("invalid image reference: %v", err)
		return res
	}
	reg := ref.Context().RegistryStr()
	res.Registry = reg
	if err := r.downErr(reg); err != nil {
		res.Status, res.Err = graph.ImageError, err
		return res
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		res.Status, res.Err = graph.ImageError, ctx.Err()
		return res
	}
	defer func() { <-r.sem }()
	if err := r.downErr(reg); err != nil {
		res.Status, res.Err = graph.ImageError, err
		return res
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	defer cancel()

	// HEAD first: it does not count against Docker Hub's pull limit and is
	// all a digest-pinned or unchanged tag needs.
	desc, err := r.puller.Head(cctx, ref)
	var te *transport.Error
	if err != nil && errors.As(err, &te) && (te.StatusCode == http.StatusMethodNotAllowed || te.StatusCode == http.StatusNotImplemented) {
		// A registry without HEAD on manifests: GET gives the same digest.
		var d *remote.Descriptor
		if d, err = r.puller.Get(cctx, ref); err == nil {
			desc = &d.Descriptor
		}
	}
	if err != nil {
		return r.fail(res, reg, err, cctx)
	}
	res.Digest, res.MediaType = desc.Digest.String(), string(desc.MediaType)
	res.Status = graph.ImageResolved
	created, platforms, err := r.config(cctx, ref.Context().Digest(res.Digest))
	if err != nil {
		// The digest is known; only the details are missing.
		res.Err = fmt.Errorf("reading image config: %s", describe(err, cctx, r.opts.CallTimeout))
	}
	res.Created, res.Platforms = created, platforms
	return res
}

// config reads the created time and platforms of a manifest or index,
// once per digest.
func (r *Resolver) config(ctx context.Context, d name.Digest) (time.Time, []string, error) {
	key := d.String()
	r.mu.Lock()
	ce, ok := r.configs[key]
	if !ok {
		ce = &configEntry{}
		r.configs[key] = ce
	}
	r.mu.Unlock()
	ce.once.Do(func() { ce.created, ce.platforms, ce.err = r.readConfig(ctx, d) })
	return ce.created, ce.platforms, ce.err
}

func (r *Resolver) readConfig(ctx context.Context, d name.Digest) (time.Time, []string, error) {
	desc, err := r.puller.Get(ctx, d)
	if err != nil {
		return time.Time{}, nil, err
	}
	var img v1.Image
	var platforms []string
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return time.Time{}, nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return time.Time{}, nil, err
		}
		var first *v1.Hash
		for _, md := range m.Manifests {
			if md.Platform == nil || md.Platform.OS == "unknown" { // attestations
				continue
			}
			platforms = append(platforms, md.Platform.String())
			if first == nil {
				h := md.Digest
				first = &h
			}
		}
		if first == nil {
			return time.Time{}, platforms, nil
		}
		img, err = idx.Image(*first)
		if err != nil {
			return time.Time{}, platforms, err
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return time.Time{}, nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return time.Time{}, platforms, err
	}
	if len(platforms) == 0 && cf.OS != "" {
		platforms = []string{cf.Platform().String()}
	}
	sort.Strings(platforms)
	return cf.Created.Time, platforms, nil
}

func (r *Resolver) downErr(reg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down[reg]
}

// fail classifies err: a missing tag or digest is a finding; everything
// else is a registry problem. Registries that cannot be reached or spoken
// to over TLS are marked down for the rest of the scan.
func (r *Resolver) fail(res Result, reg string, err error, ctx context.Context) Result {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode) {
			res.Status, res.Err = graph.ImageNotFound, errors.New("the registry has no such tag or digest")
			return res
		}
	}
	res.Status = graph.ImageError
	res.Err = errors.New(describe(err, ctx, r.opts.CallTimeout))
	if unreachable(err) {
		r.mu.Lock()
		if r.down[reg] == nil {
			r.down[reg] = res.Err
		}
		r.mu.Unlock()
	}
	return res
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// unreachable: the registry itself cannot be used (connection, DNS, TLS),
// as opposed to one request failing.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) || isTLS(err)
}

func isTLS(err error) bool {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var ve *tls.CertificateVerificationError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &rh) || errors.As(err, &ve)
}

// describe turns an error into a short message without request URLs'
// query strings or response bodies (which can echo tokens).
func describe(err error, ctx context.Context, timeout time.Duration) string {
	var te *transport.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return fmt.Sprintf("timed out after %s", timeout)
	case errors.As(err, &te):
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return "authentication failed (HTTP 401): the repository is private or does not exist; log in with docker login, a credential helper, or an imagePullSecret"
		case http.StatusForbidden:
			return "access denied (HTTP 403): the credentials may not pull from this repository"
		case http.StatusTooManyRequests:
			return "rate limited (HTTP 429) after retries honouring Retry-After"
		}
		if te.StatusCode >= 500 {
			return fmt.Sprintf("registry error (HTTP %d)", te.StatusCode)
		}
		if len(te.Errors) > 0 {
			return fmt.Sprintf("HTTP %d: %s", te.StatusCode, te.Errors[0].Code)
		}
		return fmt.Sprintf("HTTP %d", te.StatusCode)
	case isTLS(err):
		return "TLS error: " + tlsReason(err)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "unreachable: cannot resolve host " + dns.Name
	}
	var op *net.OpError
	if errors.As(err, &op) {
		if op.Err != nil {
			return "unreachable: " + op.Op + ": " + op.Err.Error()
		}
		return "unreachable: " + op.Op
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg[:i], "?") {
		msg = msg[i+2:] // drop a URL with a query string
	}
	return msg
}

func tlsReason(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &ua):
		return "certificate signed by an unknown authority"
	case errors.As(err, &hn):
		return "certificate is not valid for " + hn.Host
	case errors.As(err, &rh):
		return "the server does not speak TLS"
	}
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && ve.Err != nil {
		return ve.Err.Error()
	}
	return "certificate invalid"
}

// retryTransport retries 429 (waiting as Retry-After says, capped) and
// 502/503/504 with backoff, for requests that can be replayed.
type retryTransport struct {
	base    http.RoundTripper
	retries int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && req.Body != nil && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = b
		}
		resp, err := t.base.RoundTrip(req)
		replayable := req.Body == nil || req.GetBody != nil
		if attempt >= t.retries || !replayable {
			return resp, err
		}
		var wait time.Duration
		switch {
		case err != nil:
			if !isReset(err) {
				return resp, err
			}
			wait = backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests:
			wait = retryAfter(resp.Header.Get("Retry-After"), attempt)
			if wait > maxRetryAfter {
				return resp, nil
			}
		case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			wait = retryAfter(resp.Header.Get("Retry-After"), attempt)
			if wait > maxRetryAfter {
				wait = maxRetryAfter
			}
		default:
			return resp, nil
		}
		if resp != nil {
			resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
}

func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "EOF")
}

func backoff(attempt int) time.Duration {
	return time.Duration(200*(1<<attempt)) * time.Millisecond
}

// retryAfter reads Retry-After (seconds or an HTTP date); without one it
// backs off exponentially.
func retryAfter(h string, attempt int) time.Duration {
	h = strings.TrimSpace(h)
	if h != "" {
		if s, err := strconv.Atoi(h); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(h); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
			return 0
		}
	}
	return backoff(attempt)
}
