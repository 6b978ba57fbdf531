package ecr

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// AuthAPI is the part of the ECR client that issues registry credentials.
type AuthAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// Keychain gives registry credentials for private ECR registries
// (<account>.dkr.ecr.<region>.amazonaws.com) from GetAuthorizationToken,
// asked once per account and region per scan; clientFor returns a client of
// the region. Other registries get Anonymous, so a multi-keychain moves on.
// A failure is returned by Resolve without the token.
func Keychain(ctx context.Context, clientFor func(region string) AuthAPI) authn.Keychain {
	return &keychain{ctx: ctx, clientFor: clientFor, cache: map[string]*tokenEntry{}}
}

type keychain struct {
	ctx       context.Context
	clientFor func(region string) AuthAPI
	mu        sync.Mutex
	cache     map[string]*tokenEntry
}

type tokenEntry struct {
	once sync.Once
	cfg  authn.AuthConfig
	err  error
}

// Resolve implements authn.Keychain.
func (k *keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	m := ecrHost.FindStringSubmatch(strings.ToLower(r.RegistryStr()))
	if m == nil {
		return authn.Anonymous, nil
	}
	account, region := m[1], m[2]
	k.mu.Lock()
	e, ok := k.cache[account+"/"+region]
	if !ok {
		e = &tokenEntry{}
		k.cache[account+"/"+region] = e
	}
	k.mu.Unlock()
	e.once.Do(func() { e.cfg, e.err = k.token(account, region) })
	if e.err != nil {
		return nil, e.err
	}
	return authn.FromConfig(e.cfg), nil
}

func (k *keychain) token(account, region string) (authn.AuthConfig, error) {
	ctx, cancel := context.WithTimeout(k.ctx, CallTimeout)
	defer cancel()
	out, err := k.clientFor(region).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{account}})
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("ecr GetAuthorizationToken for %s in %s: %s", account, region, describe(err))
	}
	if len(out.AuthorizationData) == 0 {
		return authn.AuthConfig{}, fmt.Errorf("ecr GetAuthorizationToken for %s in %s: no authorization data", account, region)
	}
	dec, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("ecr GetAuthorizationToken for %s in %s: the token is not base64", account, region)
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok {
		return authn.AuthConfig{}, fmt.Errorf("ecr GetAuthorizationToken for %s in %s: the token is not user:password", account, region)
	}
	return authn.AuthConfig{Username: user, Password: pass}, nil
}
