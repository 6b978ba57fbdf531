// Package ecr collects Amazon ECR repositories as registry:Repository nodes:
// tag mutability, scan on push, encryption, lifecycle policy and repository
// policy. Live through the AWS SDK, or offline from the JSON of
// `aws ecr describe-repositories` (+ `aws ecr get-repository-policy`,
// `aws ecr get-lifecycle-policy`), claimed by content. A repository's ID is
// its URI, <account>.dkr.ecr.<region>.amazonaws.com/<name>, the same
// identity an image reference to it gets, so images link to it.
package ecr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/kscan-io/kscan/graph"
)

// Node types besides registry:Repository: policies read from their own
// files, joined to their repository by name (the shape Pulumi's
// aws.ecr.RepositoryPolicy / LifecyclePolicy resources get too).
const (
	TypeRepositoryPolicy = "aws:ecr/RepositoryPolicy"
	TypeLifecyclePolicy  = "aws:ecr/LifecyclePolicy"
)

// API is the part of the ECR client the collector uses (*ecr.Client).
type API interface {
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, opts ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	GetRepositoryPolicy(ctx context.Context, in *ecr.GetRepositoryPolicyInput, opts ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error)
	GetLifecyclePolicy(ctx context.Context, in *ecr.GetLifecyclePolicyInput, opts ...func(*ecr.Options)) (*ecr.GetLifecyclePolicyOutput, error)
}

// CallTimeout bounds each API call.
const CallTimeout = 30 * time.Second

// Collect lists every repository with its policies. A failure to list is
// returned (the source failed); a policy that cannot be read is a warning
// on that repository naming the rules left unevaluated.
func Collect(ctx context.Context, api API, g *graph.Graph) error {
	var repos []types.Repository
	p := ecr.NewDescribeRepositoriesPaginator(api, &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("ecr DescribeRepositories: %s", describe(err))
		}
		repos = append(repos, out.Repositories...)
	}
	sort.Slice(repos, func(i, j int) bool {
		return aws.ToString(repos[i].RepositoryArn) < aws.ToString(repos[j].RepositoryArn)
	})
	for _, r := range repos {
		obj := repositoryObject(r)
		n := newNode(obj, graph.Source{Kind: graph.SourceAWS, Path: aws.ToString(r.RepositoryArn)})
		warn := func(msg string) {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: n.Source, Resource: n.ID, Message: msg})
		}
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		pol, err := api.GetRepositoryPolicy(cctx, &ecr.GetRepositoryPolicyInput{RepositoryName: r.RepositoryName, RegistryId: r.RegistryId})
		cancel()
		var nf *types.RepositoryPolicyNotFoundException
		switch {
		case errors.As(err, &nf):
		case err != nil:
			warn("ecr GetRepositoryPolicy: " + describe(err) + "; registry/public-repository not evaluated for it")
		default:
			setPolicy(n, aws.ToString(pol.PolicyText), warn)
		}
		cctx, cancel = context.WithTimeout(ctx, CallTimeout)
		lc, err := api.GetLifecyclePolicy(cctx, &ecr.GetLifecyclePolicyInput{RepositoryName: r.RepositoryName, RegistryId: r.RegistryId})
		cancel()
		var lnf *types.LifecyclePolicyNotFoundException
		switch {
		case errors.As(err, &lnf):
			n.Object["lifecyclePolicy"] = false
		case err != nil:
			warn("ecr GetLifecyclePolicy: " + describe(err))
		default:
			setLifecycle(n, aws.ToString(lc.LifecyclePolicyText))
		}
		g.AddNode(n)
	}
	return nil
}

// describe names the AWS error code without the request id noise.
func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorCode() == "AccessDeniedException" {
			return "access denied (AccessDeniedException): the credentials lack this ECR permission"
		}
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", CallTimeout)
	}
	return err.Error()
}

func repositoryObject(r types.Repository) map[string]any {
	obj := map[string]any{
		"provider":           "ecr",
		"name":               aws.ToString(r.RepositoryName),
		"arn":                aws.ToString(r.RepositoryArn),
		"registryId":         aws.ToString(r.RegistryId),
		"repositoryUri":      aws.ToString(r.RepositoryUri),
		"repositoryUrl":      aws.ToString(r.RepositoryUri),
		"imageTagMutability": string(r.ImageTagMutability),
	}
	if r.ImageTagMutability == "" {
		obj["imageTagMutability"] = string(types.ImageTagMutabilityMutable)
	}
	scan := map[string]any{"scanOnPush": false}
	if r.ImageScanningConfiguration != nil {
		scan["scanOnPush"] = r.ImageScanningConfiguration.ScanOnPush
	}
	obj["imageScanningConfiguration"] = scan
	if e := r.EncryptionConfiguration; e != nil {
		enc := map[string]any{"encryptionType": string(e.EncryptionType)}
		if e.KmsKey != nil {
			enc["kmsKey"] = *e.KmsKey
		}
		obj["encryptionConfiguration"] = enc
	}
	if r.CreatedAt != nil {
		obj["createdAt"] = r.CreatedAt.UTC().Format(time.RFC3339)
	}
	return obj
}

func newNode(obj map[string]any, src graph.Source) *graph.Node {
	id, _ := obj["repositoryUri"].(string)
	if id == "" {
		id, _ = obj["arn"].(string)
	}
	return &graph.Node{
		ID:     id,
		Type:   graph.TypeRegistryRepository,
		Object: obj,
		Source: src,
		Attrs:  map[string]any{"repository_id": id},
	}
}

// setPolicy parses a repository policy into Attrs["policy_document"].
func setPolicy(n *graph.Node, text string, warn func(string)) {
	if text == "" {
		return
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		warn("repository policy is not valid JSON; registry/public-repository not evaluated for it")
		return
	}
	n.Attrs["policy_document"] = doc
	n.Object["policy"] = true
}

func setLifecycle(n *graph.Node, text string) {
	n.Object["lifecyclePolicy"] = text != ""
	var doc map[string]any
	if text != "" && json.Unmarshal([]byte(text), &doc) == nil {
		n.Attrs["lifecycle_policy"] = doc
	}
}
